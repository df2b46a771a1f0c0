// The live channel broadcaster (issue 13, the origin side): `shoal serve --channel demo=testsrc`
// runs Debian's ffmpeg and publishes each complete segment with its per-segment torrent and its
// hashes in the playlist (#EXT-X-SHOAL-SEGMENT). Checked here: every tag's INFOHASH is the SHA-1
// of the info dict rebuilt from the tag and of the .torrent's info dict, its PIECES are the
// segment's piece hashes; plain hls.js (no Shoal loader) plays the channel past 10 s in
// Chromium; WebTorrent 3 downloads a segment from its .torrent (bytes equal the origin's file),
// and, with the web seed removed, from the companion's own WebRTC peer; killing ffmpeg ends the
// playlist with #EXT-X-ENDLIST. Then bad input: a name with '/', a missing source, a name given
// twice, a source ffmpeg cannot read, and no ffmpeg on PATH: each a clear error, and `serve`
// keeps serving.
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { root, runShoal, screenshot, spawnShoal } from '../support/shoal.mjs'
import { launchWebRtcBrowser } from '../support/tracker.mjs'
import { openWebTorrentPage, withTimeout, writeWebTorrentApp } from '../support/webtorrent.mjs'

const sha1 = bytes => createHash('sha1').update(bytes).digest('hex')
const sha256 = bytes => createHash('sha256').update(bytes).digest('hex')
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** Polls `check` (async, returns a value or undefined) every 250 ms until it answers. */
async function until (check, ms, what) {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`)
    await sleep(250)
  }
}

/** The segments of a Shoal playlist: [{uri, infohash, length, pieceLength, pieces}]. */
function taggedSegments (text) {
  const lines = text.split('\n')
  const out = []
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^#EXT-X-SHOAL-SEGMENT:INFOHASH=([0-9a-f]{40}),LENGTH=(\d+),PIECE-LENGTH=(\d+),PIECES=([0-9a-f]*)$/)
    if (!m) continue
    assert.match(lines[i + 1], /^#EXTINF:/, 'the tag is right before its #EXTINF')
    out.push({ uri: lines[i + 2], infohash: m[1], length: Number(m[2]), pieceLength: Number(m[3]), pieces: m[4] })
  }
  return out
}

/** The info dict a loader rebuilds from a tag (the four keys, bencoded, sorted). */
function rebuiltInfo (name, length, pieceLength, piecesHex) {
  const pieces = Buffer.from(piecesHex, 'hex')
  return Buffer.concat([
    Buffer.from(`d6:lengthi${length}e4:name${Buffer.byteLength(name)}:${name}12:piece lengthi${pieceLength}e6:pieces${pieces.length}:`),
    pieces, Buffer.from('e')
  ])
}

/** Where each top-level key's value lies in a bencoded dict: {key: [start, end]}. */
function topLevelSpans (buf) {
  let i = 0
  const skip = () => {
    const c = String.fromCharCode(buf[i])
    if (c === 'i') { i = buf.indexOf(0x65, i) + 1; return }
    if (c === 'l' || c === 'd') { i++; while (buf[i] !== 0x65) skip(); i++; return }
    const colon = buf.indexOf(0x3a, i)
    const len = Number(buf.subarray(i, colon).toString())
    i = colon + 1 + len
  }
  const spans = {}
  assert.equal(buf[0], 0x64)
  i = 1
  while (buf[i] !== 0x65) {
    const colon = buf.indexOf(0x3a, i)
    const len = Number(buf.subarray(i, colon).toString())
    const key = buf.subarray(colon + 1, colon + 1 + len).toString()
    i = colon + 1 + len
    const start = i
    skip()
    spans[key] = [start, i]
  }
  return spans
}

/** The .torrent without its `url-list` (so a client can only get the bytes from peers). */
function withoutWebSeed (torrent) {
  const [start, end] = topLevelSpans(torrent)['url-list']
  const keyStart = start - '8:url-list'.length
  return Buffer.concat([torrent.subarray(0, keyStart), torrent.subarray(end)])
}

/** A built "app" for `serve --dist`: the WebTorrent page at / and a plain hls.js page. */
function writeApp (dir) {
  writeWebTorrentApp(dir)
  copyFileSync(path.join(root, 'node_modules/hls.js/dist/hls.min.js'), path.join(dir, 'hls.min.js'))
  writeFileSync(path.join(dir, 'plain-hls.html'), `<!doctype html><meta charset="utf-8"><title>plain hls.js</title>
<video id="v" muted autoplay playsinline width="640" height="360"></video>
<script src="/hls.min.js"></script>
<script>
const url = new URLSearchParams(location.search).get('src')
const video = document.getElementById('v')
window.errors = []
const hls = new Hls()
hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal) window.errors.push(d.type + ':' + d.details) })
hls.loadSource(url)
hls.attachMedia(video)
hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(e => window.errors.push(String(e))))
</script>`)
}

async function get (url, opts) {
  const r = await fetch(url, opts)
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) }
}

test('a testsrc channel publishes verifiable segments that hls.js plays and WebTorrent downloads', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-channel-'))
  const dist = path.join(dir, 'dist')
  writeApp(dist)
  let serve, browser
  try {
    serve = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--cache-dir', path.join(dir, 'cache'),
      '--channels-dir', path.join(dir, 'channels'), '--channel', 'demo=testsrc'], {
      ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', cwd: dir, log: 'info'
    })
    const base = serve.found
    const playlistUrl = `${base}/channels/demo/index.m3u8`

    // The channel is listed at once.
    const listed = await (await fetch(`${base}/api/channels`)).json()
    assert.deepEqual(listed.map(c => [c.name, c.state, c.playlist]), [['demo', 'live', playlistUrl]])

    // Three tagged segments.
    const text = await until(async () => {
      const r = await fetch(playlistUrl)
      if (r.status !== 200) return undefined
      const t = await r.text()
      return taggedSegments(t).length >= 3 ? t : undefined
    }, 60_000, 'three published segments')
    const head = await get(playlistUrl, { headers: { origin: 'http://elsewhere.example' } })
    assert.equal(head.headers.get('content-type'), 'application/vnd.apple.mpegurl')
    assert.equal(head.headers.get('cache-control'), 'max-age=1')
    assert.equal(head.headers.get('access-control-allow-origin'), '*')
    const swarm = text.match(/^#EXT-X-SHOAL:VERSION=1,SWARM=([0-9a-f]{40}),TRACKERS="([^"]+)"$/m)
    assert.ok(swarm, text)
    assert.equal(swarm[2], base.replace('http', 'ws') + '/announce')
    assert.match(text, /^#EXT-X-MEDIA-SEQUENCE:\d+$/m)
    assert.ok(!text.includes('#EXT-X-ENDLIST'))

    for (const seg of taggedSegments(text)) {
      assert.match(seg.uri, /^seg-\d{6}\.ts$/)
      assert.equal(seg.pieceLength, 65536)
      const ts = await get(`${base}/channels/demo/${seg.uri}`)
      assert.equal(ts.status, 200)
      assert.equal(ts.headers.get('content-type'), 'video/mp2t')
      assert.match(ts.headers.get('cache-control'), /immutable/)
      assert.equal(ts.bytes.length, seg.length)
      assert.equal(ts.bytes[0], 0x47, 'an MPEG-TS sync byte')
      // PIECES are the segment's piece hashes.
      const pieces = []
      for (let at = 0; at < ts.bytes.length; at += 65536) pieces.push(sha1(ts.bytes.subarray(at, at + 65536)))
      assert.equal(pieces.join(''), seg.pieces)
      // INFOHASH is the SHA-1 of the info dict rebuilt from the tag, and of the .torrent's.
      assert.equal(sha1(rebuiltInfo(seg.uri, seg.length, seg.pieceLength, seg.pieces)), seg.infohash)
      const torrent = await get(`${base}/channels/demo/${seg.uri}.torrent`)
      assert.equal(torrent.status, 200)
      assert.equal(torrent.headers.get('content-type'), 'application/x-bittorrent')
      const spans = topLevelSpans(torrent.bytes)
      assert.equal(sha1(torrent.bytes.subarray(...spans.info)), seg.infohash)
      assert.deepEqual(Object.keys(topLevelSpans(torrent.bytes.subarray(...spans.info))), ['length', 'name', 'piece length', 'pieces'])
      assert.ok(torrent.bytes.includes(Buffer.from(`${base}/channels/demo/${seg.uri}`)), 'url-list is the segment URL')
    }
    // Anything not published is a 404.
    for (const missing of ['seg-999999.ts', 'seg-999999.ts.torrent', 'channel.json', '..%2Fchannel.json']) {
      assert.equal((await fetch(`${base}/channels/demo/${missing}`)).status, 404, missing)
    }
    assert.equal((await fetch(`${base}/channels/nope/index.m3u8`)).status, 404)

    // Plain hls.js, no Shoal loader, plays the channel past 10 s.
    browser = await launchWebRtcBrowser()
    await browser.grant(base)
    const player = await browser.context.newPage()
    const pageErrors = []
    player.on('pageerror', e => pageErrors.push(e))
    await player.goto(`${base}/plain-hls.html?src=${encodeURIComponent(playlistUrl)}`)
    await withTimeout(player.waitForFunction(() => window.errors.length > 0 || document.getElementById('v').currentTime > 10,
      null, { timeout: 0, polling: 500 }), 90_000, 'hls.js playing past 10 s')
    assert.deepEqual(await player.evaluate(() => window.errors), [])
    await screenshot(player, 'channel-origin-plain-hlsjs')
    await player.close()

    // WebTorrent 3 downloads a published segment from its .torrent: the origin's bytes.
    const now = taggedSegments(await (await fetch(playlistUrl)).text())
    const pick = now[now.length - 1]
    const original = await get(`${base}/channels/demo/${pick.uri}`)
    // Another segment for the peer-only download: WebTorrent keeps what it downloaded.
    const other = now[now.length - 2]
    const otherBytes = await get(`${base}/channels/demo/${other.uri}`)
    const errors = []
    const wt = await openWebTorrentPage(browser, base + '/', errors)
    const viaTorrent = await withTimeout(wt.evaluate(url => window.wt.download(url, { destroy: true }),
      `${base}/channels/demo/${pick.uri}.torrent`), 60_000, 'WebTorrent downloading a segment')
    assert.equal(viaTorrent.name, pick.uri)
    assert.equal(viaTorrent.length, original.bytes.length)
    assert.equal(viaTorrent.digest, sha256(original.bytes))

    // Without the web seed, only the companion's WebRTC peer has it: the bytes come from there.
    const before = await (await fetch(`${base}/metrics`)).text()
    const webrtcBefore = Number(before.match(/^shoal_channel_origin_bytes_total\{transport="webrtc"\} (\d+)$/m)[1])
    const peerOnly = withoutWebSeed((await get(`${base}/channels/demo/${other.uri}.torrent`)).bytes)
    const viaPeer = await withTimeout(wt.evaluate(bytes => window.wt.download(new Uint8Array(bytes), { destroy: true }),
      [...peerOnly]), 60_000, 'WebTorrent downloading a segment from the companion\'s peer')
    assert.equal(viaPeer.digest, sha256(otherBytes.bytes))
    // (Its wires are closed by then: two seeds part.) The bytes came from peers, and the only
    // peer is the companion, whose WebRTC count grows by at least the segment.
    assert.ok(viaPeer.received >= otherBytes.bytes.length, `received ${viaPeer.received}`)
    const metrics = await until(async () => {
      const t = await (await fetch(`${base}/metrics`)).text()
      const sent = Number(t.match(/^shoal_channel_origin_bytes_total\{transport="webrtc"\} (\d+)$/m)[1])
      return sent >= webrtcBefore + otherBytes.bytes.length ? t : undefined
    }, 15_000, 'the WebRTC bytes counted in /metrics')
    assert.match(metrics, /^shoal_channels\{state="live"\} 1$/m)
    assert.ok(Number(metrics.match(/^shoal_channel_segments_published_total (\d+)$/m)[1]) >= 3)
    assert.ok(Number(metrics.match(/^shoal_channel_origin_bytes_total\{transport="http"\} (\d+)$/m)[1]) > 0)
    assert.deepEqual(errors, [])
    assert.deepEqual(pageErrors, [])

    // Killing ffmpeg ends the broadcast: #EXT-X-ENDLIST, and the channel says "ended".
    const shoalPid = serve.child.pid
    const ffmpeg = execFileSync('pgrep', ['-P', String(shoalPid), 'ffmpeg'], { encoding: 'utf8' }).trim()
    assert.match(ffmpeg, /^\d+$/)
    process.kill(Number(ffmpeg), 'SIGKILL')
    const ended = await until(async () => {
      const t = await (await fetch(playlistUrl)).text()
      return t.trimEnd().endsWith('#EXT-X-ENDLIST') ? t : undefined
    }, 15_000, 'the playlist ending')
    assert.ok(taggedSegments(ended).length >= 3)
    const after = await (await fetch(`${base}/api/channels`)).json()
    assert.equal(after[0].state, 'ended')
    assert.equal((await fetch(`${base}/health`)).status, 200)
  } finally {
    await browser?.close()
    await serve?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('shoal broadcast: segments leave the playlist, the disk and the swarm as the window rolls', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-broadcast-'))
  let bc
  try {
    bc = await spawnShoal(['broadcast', 'demo', 'testsrc', '--listen', '127.0.0.1:0', '--channels-dir', path.join(dir, 'channels'),
      '--live-segments', '2', '--dvr-seconds', '0'], {
      ready: /Broadcasting demo: (http:\/\/127\.0\.0\.1:\d+)\/channels/, what: 'shoal broadcast', cwd: dir
    })
    const base = bc.found
    const playlistUrl = `${base}/channels/demo/index.m3u8`
    const first = await until(async () => {
      const segs = taggedSegments(await (await fetch(playlistUrl)).text())
      return segs.length === 2 ? segs[0] : undefined
    }, 60_000, 'two listed segments')
    // Once six more are published, the first is gone everywhere.
    const metrics = await until(async () => {
      const t = await (await fetch(`${base}/metrics`)).text()
      const published = Number(t.match(/^shoal_channel_segments_published_total (\d+)$/m)[1])
      return published >= 8 ? t : undefined
    }, 60_000, 'eight published segments')
    const listed = taggedSegments(await (await fetch(playlistUrl)).text())
    assert.equal(listed.length, 2)
    assert.ok(!listed.some(s => s.uri === first.uri))
    assert.equal((await fetch(`${base}/channels/demo/${first.uri}`)).status, 404)
    assert.equal((await fetch(`${base}/channels/demo/${first.uri}.torrent`)).status, 404)
    // Every expired segment's torrent announced `stopped`: the tracker holds only the few
    // segments still kept, not all eight.
    const swarms = Number(metrics.match(/^shoal_tracker_swarms (\d+)$/m)[1])
    assert.ok(swarms <= 3, `${swarms} swarms on the tracker`)
    assert.ok(swarms >= 1, 'the kept segments are announced')
    assert.equal(await bc.stop(), 0)
    bc = undefined
  } finally {
    await bc?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

/** A free loopback TCP port. */
async function freePort () {
  const server = net.createServer()
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

/** moto's S3-compatible server (PyPI `moto[server]`, `moto_server`) on a free port. */
async function startMoto () {
  const port = await freePort()
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${port}`
  const exited = new Promise(resolve => child.once('exit', resolve))
  await until(async () => {
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}`)
    try { return (await fetch(url)).status ? true : undefined } catch { return undefined }
  }, 30_000, 'moto_server answering')
  return { url, async stop () { child.kill('SIGTERM'); await exited } }
}

test('--origin s3://BUCKET/PREFIX uploads segments, torrents and the playlist (moto\'s S3 server)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-origin-s3-'))
  let moto, bc
  try {
    moto = await startMoto()
    assert.equal((await fetch(`${moto.url}/shoal-live`, { method: 'PUT' })).status, 200, 'bucket made')
    // Anyone may read it, as a bucket behind a CDN is read (the uploads are signed).
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'PublicRead', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::shoal-live/*' }]
    }
    const made = await fetch(`${moto.url}/shoal-live?policy`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(policy) })
    assert.equal(made.status, 200, 'bucket policy set')
    const env = {
      AWS_ENDPOINT_URL: moto.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1', AWS_ALLOW_HTTP: 'true'
    }
    const saved = { ...process.env }
    Object.assign(process.env, env)
    try {
      bc = await spawnShoal(['broadcast', 'demo', 'testsrc', '--listen', '127.0.0.1:0', '--channels-dir', path.join(dir, 'channels'),
        '--origin', 's3://shoal-live/tv', '--live-segments', '3', '--dvr-seconds', '0'], {
        ready: /Broadcasting demo: (http:\/\/127\.0\.0\.1:\d+)\/channels/, what: 'shoal broadcast', cwd: dir
      })
    } finally {
      for (const key of Object.keys(env)) {
        if (key in saved) process.env[key] = saved[key]
        else delete process.env[key]
      }
    }
    const s3Playlist = `${moto.url}/shoal-live/tv/demo/index.m3u8`
    const listed = await (await fetch(`${bc.found}/api/channels`)).json()
    assert.equal(listed[0].playlist, s3Playlist, 'the listed playlist is the object store\'s')
    const segs = await until(async () => {
      const r = await fetch(s3Playlist)
      if (r.status !== 200) return undefined
      const t = await r.text()
      return taggedSegments(t).length >= 3 ? taggedSegments(t) : undefined
    }, 60_000, 'three segments in the uploaded playlist')
    for (const seg of segs) {
      const ts = await get(`${moto.url}/shoal-live/tv/demo/${seg.uri}`)
      assert.equal(ts.status, 200, seg.uri)
      assert.equal(ts.headers.get('content-type'), 'video/mp2t')
      assert.match(ts.headers.get('cache-control'), /immutable/)
      assert.equal(ts.bytes.length, seg.length)
      const pieces = []
      for (let at = 0; at < ts.bytes.length; at += 65536) pieces.push(sha1(ts.bytes.subarray(at, at + 65536)))
      assert.equal(pieces.join(''), seg.pieces)
      const torrent = await get(`${moto.url}/shoal-live/tv/demo/${seg.uri}.torrent`)
      assert.equal(torrent.status, 200)
      assert.equal(sha1(torrent.bytes.subarray(...topLevelSpans(torrent.bytes).info)), seg.infohash)
      // The web seed is the object store's copy.
      const [start, end] = topLevelSpans(torrent.bytes)['url-list']
      assert.ok(torrent.bytes.subarray(start, end).includes(Buffer.from(`${moto.url}/shoal-live/tv/demo/${seg.uri}`)))
    }
    // Expired segments are deleted from the bucket too.
    const first = segs[0].uri
    await until(async () => (await fetch(`${moto.url}/shoal-live/tv/demo/${first}`)).status === 404 || undefined,
      60_000, `${first} deleted from the bucket`)
    assert.equal(await bc.stop(), 0)
    bc = undefined
  } finally {
    await bc?.stop()
    await moto?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('bad channels are clear errors, and serve keeps serving', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-channel-bad-'))
  const dist = path.join(dir, 'dist')
  writeApp(dist)
  const notMedia = path.join(dir, 'notes.txt')
  writeFileSync(notMedia, 'this is not a video\n')
  const noFfmpeg = path.join(dir, 'empty-path')
  mkdirSync(noFfmpeg)
  const channelsDir = ['--channels-dir', path.join(dir, 'channels')]
  let serve
  try {
    // shoal broadcast: bad input exits 2 with one line naming the problem.
    const slash = runShoal(['broadcast', 'a/b', 'testsrc', ...channelsDir])
    assert.equal(slash.status, 2)
    assert.match(slash.stderr, /channel name "a\/b".*'\/'/)
    const missing = runShoal(['broadcast', 'demo', '/no/such/clip.mp4', ...channelsDir])
    assert.equal(missing.status, 2)
    assert.match(missing.stderr, /\/no\/such\/clip\.mp4/)
    const env = { ...process.env, PATH: noFfmpeg }
    delete env.SHOAL_FFMPEG
    const withoutFfmpeg = runShoal(['broadcast', 'demo', 'testsrc', ...channelsDir], { env })
    assert.equal(withoutFfmpeg.status, 2)
    assert.match(withoutFfmpeg.stderr, /ffmpeg was not found on PATH/)
    // A source ffmpeg cannot read fails before its first segment: exit 1 with ffmpeg's words.
    const broken = runShoal(['broadcast', 'demo', notMedia, '--listen', '127.0.0.1:0', '--no-webrtc', ...channelsDir])
    assert.equal(broken.status, 1)
    assert.match(broken.stderr, /ffmpeg stopped .* before its first segment/)

    // shoal serve: every bad channel is reported; the good one and the rest go on.
    serve = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--cache-dir', path.join(dir, 'cache'),
      ...channelsDir, '--no-webrtc', '--channel', 'demo=testsrc', '--channel', 'demo=testsrc', '--channel', 'bad/name=testsrc',
      '--channel', `broken=${notMedia}`], {
      ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', cwd: dir, log: 'info'
    })
    const base = serve.found
    const channels = await until(async () => {
      const list = await (await fetch(`${base}/api/channels`)).json()
      return list.find(c => c.name === 'broken')?.state === 'ended' ? list : undefined
    }, 30_000, 'the broken channel reported')
    assert.deepEqual(channels.map(c => [c.name, c.state]),
      [['demo', 'live'], ['broken', 'ended'], ['bad/name', 'ended'], ['demo', 'ended']])
    assert.match(channels[1].error, /ffmpeg stopped .* before its first segment/)
    assert.match(channels[2].error, /channel name "bad\/name".*'\/'/)
    assert.match(channels[3].error, /channel "demo" is given twice/)
    assert.equal((await fetch(`${base}/health`)).status, 200)
    await until(async () => (await fetch(`${base}/channels/demo/index.m3u8`)).status === 200 || undefined, 30_000, 'the good channel')
    await serve.stop()
    serve = undefined

    // No ffmpeg on PATH: the channel says so; the companion serves on.
    const savedPath = process.env.PATH
    process.env.PATH = noFfmpeg
    try {
      serve = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--cache-dir', path.join(dir, 'cache'),
        ...channelsDir, '--no-webrtc', '--channel', 'demo=testsrc'], {
        ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', cwd: dir
      })
    } finally {
      process.env.PATH = savedPath
    }
    const list = await (await fetch(`${serve.found}/api/channels`)).json()
    assert.equal(list[0].state, 'ended')
    assert.match(list[0].error, /ffmpeg was not found on PATH/)
    assert.equal((await fetch(`${serve.found}/`)).status, 200)
  } finally {
    await serve?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
})
