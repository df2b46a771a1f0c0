// HLS fixtures for the loader's tests: a stream encoded with ffmpeg, the Shoal tags of the
// publishing format (docs/hls.md) computed here from the segment files, and a static HTTP
// server for the stream on its own origin (a "third party" for the app) that counts what it
// serves.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { removeDir } from './addon-fixture.mjs'
import { startCompanion } from './companion-serve.mjs'
import { root, runTool } from './shoal.mjs'

export const PIECE_LENGTH = 65536

/**
 * `seconds` of ffmpeg's test pattern with a tone as an HLS VOD playlist of 2 s MPEG-TS
 * segments (H.264/AAC) in a fresh folder; returns {dir, playlist, segments}.
 */
export function makeStream (seconds = 14) {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-hls-'))
  const r = runTool('ffmpeg', ['-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=320x240:rate=25`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`,
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '64k', '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod',
    '-hls_segment_filename', path.join(dir, 'seg-%06d.ts'), path.join(dir, 'plain.m3u8')],
  { what: 'ffmpeg (the HLS stream)', timeoutMs: 120_000 })
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`)
  const segments = readdirSync(dir).filter(f => f.endsWith('.ts')).sort()
  return { dir, playlist: 'plain.m3u8', segments }
}

/** Bencode of the values the info dict needs (integers, strings, Buffers, dicts). */
function bencode (v) {
  if (typeof v === 'number') return Buffer.from(`i${v}e`)
  if (typeof v === 'string') v = Buffer.from(v)
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v])
  const keys = Object.keys(v).sort()
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap(k => [bencode(k), bencode(v[k])]), Buffer.from('e')])
}

const sha1 = b => createHash('sha1').update(b).digest()

/** The `#EXT-X-SHOAL-SEGMENT` attributes of one segment file, and its info hash. */
export function segmentTag (bytes, name) {
  const pieces = []
  for (let i = 0; i < bytes.length; i += PIECE_LENGTH) pieces.push(sha1(bytes.subarray(i, i + PIECE_LENGTH)))
  const info = { length: bytes.length, name, 'piece length': PIECE_LENGTH, pieces: Buffer.concat(pieces) }
  const infoHash = sha1(bencode(info)).toString('hex')
  return {
    infoHash,
    line: `#EXT-X-SHOAL-SEGMENT:INFOHASH=${infoHash},LENGTH=${bytes.length},PIECE-LENGTH=${PIECE_LENGTH},PIECES=${Buffer.concat(pieces).toString('hex')}`
  }
}

/**
 * Writes `tagged.m3u8` beside the plain playlist: the same playlist with the channel tag in
 * the header and a segment tag before each `#EXTINF`. `corrupt` names a segment whose tag gets
 * a wrong info hash (it must become HTTP-only). Returns the segments' info hashes by name.
 */
export function tagPlaylist (stream, { swarm = 'ab'.repeat(20), trackers = [], corrupt } = {}) {
  const lines = readFileSync(path.join(stream.dir, stream.playlist), 'utf8').split('\n')
  const out = []
  const hashes = {}
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line.startsWith('#EXTINF')) {
      const name = lines[i + 1].trim()
      const tag = segmentTag(readFileSync(path.join(stream.dir, name)), name)
      hashes[name] = tag.infoHash
      out.push(name === corrupt ? tag.line.replace(/INFOHASH=[0-9a-f]{8}/, 'INFOHASH=00000000') : tag.line)
    }
    out.push(line)
    if (line.startsWith('#EXTM3U')) out.push(`#EXT-X-SHOAL:VERSION=1,SWARM=${swarm},TRACKERS="${trackers.join(' ')}"`)
  }
  writeFileSync(path.join(stream.dir, 'tagged.m3u8'), out.join('\n'))
  return hashes
}

/**
 * A static server for `dir` on 127.0.0.1 with CORS and byte ranges, counting the bytes of
 * each file it sent. Files named in `slow` trickle out 4 KiB every 100 ms; `cut` records
 * the names whose response the client closed before its end. Resolves {base, sent, slow,
 * cut, stop}.
 */
export async function serveDir (dir) {
  const sent = {}
  const slow = new Set()
  const cut = new Set()
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '')
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.setHeader('Access-Control-Allow-Headers', 'Range')
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range')
    if (req.method === 'OPTIONS') { res.writeHead(204); res.end(); return }
    if (name.includes('/') || name.startsWith('.')) { res.writeHead(404); res.end(); return }
    let body
    try { body = readFileSync(path.join(dir, name)) } catch { res.writeHead(404); res.end(); return }
    const type = name.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t'
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    let status = 200
    if (range) {
      const start = Number(range[1])
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1
      res.setHeader('Content-Range', `bytes ${start}-${end}/${body.length}`)
      body = body.subarray(start, end + 1)
      status = 206
    }
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'no-cache' })
    if (!slow.has(name)) {
      sent[name] = (sent[name] ?? 0) + body.length
      res.end(body)
      return
    }
    let at = 0
    const timer = setInterval(() => {
      const chunk = body.subarray(at, at + 4096)
      at += chunk.length
      sent[name] = (sent[name] ?? 0) + chunk.length
      if (at >= body.length) { clearInterval(timer); res.end(chunk) } else res.write(chunk)
    }, 100)
    res.on('close', () => { clearInterval(timer); if (at < body.length) cut.add(name) })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    sent,
    slow,
    cut,
    stop: () => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) })
  }
}

/**
 * What the app's HLS tests start from: a 14 s stream with Shoal tags (`tagOptions` as for
 * `tagPlaylist`) on its own origin, and a companion serving the app (SHOAL_DIST or dist/) with
 * an empty library and cache. Returns {stream, hashes, origin, app, stop}; `stop()` ends both
 * servers and removes the folders.
 */
export async function startHlsApp (tagOptions = {}) {
  const stream = makeStream(14)
  const scratch = mkdtempSync(path.join(tmpdir(), 'shoal-hls-app-'))
  const world = { stream, hashes: tagPlaylist(stream, tagOptions) }
  world.stop = async () => {
    await world.app?.stop()
    await world.origin?.stop()
    removeDir(stream.dir)
    removeDir(scratch)
  }
  try {
    world.origin = await serveDir(stream.dir)
    world.app = await startCompanion({
      dist: process.env.SHOAL_DIST ?? path.join(root, 'dist'),
      library: mkdtempSync(path.join(scratch, 'library-')),
      cache: mkdtempSync(path.join(scratch, 'cache-'))
    })
  } catch (e) {
    await world.stop()
    throw e
  }
  return world
}
