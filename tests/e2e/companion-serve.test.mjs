// `shoal serve --library DIR` on one port: the tracker at /announce, the library at /files
// (byte ranges, containment), /api/library, /metrics, and seeding to WebTorrent 3 (npm
// webtorrent's browser bundle in headless Chromium) over WebRTC from the native peer and,
// separately, over HTTP as a web seed. Every downloaded byte is compared with the file.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { startCompanion } from '../support/companion-serve.mjs'
import { launchWebRtcBrowser } from '../support/tracker.mjs'
import { openWebTorrentPage, patternBytes, withTimeout, writeWebTorrentApp } from '../support/webtorrent.mjs'

const SIZE = 2 * (1 << 20) + 4321
let dir, lib, dist, bytes, expected

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shoal-companion-'))
  lib = path.join(dir, 'library')
  dist = path.join(dir, 'dist')
  writeWebTorrentApp(dist)
  bytes = patternBytes(SIZE, 13)
  expected = createHash('sha256').update(bytes).digest('hex')
  // Only the media file belongs to the library; the secret lies outside it.
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the library')
  mkdirSync(lib, { recursive: true })
  writeFileSync(path.join(lib, 'clip one.mp4'), bytes)
  symlinkSync(path.join(dir, 'secret.txt'), path.join(lib, 'escape.mp4'))
})

after(() => rmSync(dir, { recursive: true, force: true }))

/** Adds `source` (magnet or .torrent URL) in a fresh page of `browser`; what WebTorrent got. */
async function download (browser, origin, source, tracker) {
  const errors = []
  const p = await openWebTorrentPage(browser, origin + '/', errors)
  const result = await withTimeout(p.evaluate(({ source, tracker }) =>
    window.wt.download(source, { announce: [tracker], destroy: true }),
  { source, tracker }), 120_000, 'downloading')
  assert.deepEqual(errors, [])
  return result
}

test('the library over HTTP: ranges, 416, containment, /api/library, /metrics', async () => {
  const server = await startCompanion({ dist, library: lib, cache: path.join(dir, 'cache'), args: ['--no-webrtc'] })
  try {
    const base = server.url
    const lib = await (await fetch(`${base}/api/library`)).json()
    assert.equal(lib.items.length, 2 - 1, JSON.stringify(lib)) // the symlink is not scanned
    const item = lib.items[0]
    assert.equal(item.title, 'clip one')
    assert.equal(item.size, SIZE)
    assert.match(item.infoHash, /^[0-9a-f]{40}$/)
    assert.match(item.magnet, /[?&]ws=/)
    assert.equal(item.url, `${base}/files/clip%20one.mp4`)
    const torrent = await fetch(item.torrentUrl)
    assert.equal(torrent.status, 200)
    assert.equal(torrent.headers.get('content-type'), 'application/x-bittorrent')
    assert.match(Buffer.from(await torrent.arrayBuffer()).toString('latin1'), /8:url-list/)

    const part = await fetch(item.url, { headers: { range: 'bytes=100-199' } })
    assert.equal(part.status, 206)
    assert.equal(part.headers.get('content-range'), `bytes 100-199/${SIZE}`)
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200))
    const tail = await fetch(item.url, { headers: { range: 'bytes=-10' } })
    assert.equal(tail.status, 206)
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(SIZE - 10))
    const whole = await fetch(item.url)
    assert.equal(whole.status, 200)
    assert.equal(createHash('sha256').update(Buffer.from(await whole.arrayBuffer())).digest('hex'), expected)
    const beyond = await fetch(item.url, { headers: { range: `bytes=${SIZE}-` } })
    assert.equal(beyond.status, 416)
    assert.equal(beyond.headers.get('content-range'), `bytes */${SIZE}`)

    for (const bad of ['/files/escape.mp4', '/files/..%2Fsecret.txt', '/files/%2E%2E/secret.txt',
      '/files/x/..%2F..%2Fsecret.txt', '/files/..\\secret.txt']) {
      const r = await fetch(base + bad)
      assert.equal(r.status, 404, bad)
      assert.doesNotMatch(await r.text(), /outside the library/, bad)
    }

    const metrics = await (await fetch(`${base}/metrics`)).text()
    assert.match(metrics, /^shoal_uploaded_bytes_total\{transport="http"\} [1-9]/m)
    assert.match(metrics, /^shoal_library_files 1$/m)
    assert.equal(await (await fetch(`${base}/health`)).text(), 'ok\n')
  } finally {
    assert.equal(await server.stop(), 0)
  }
})

test('WebTorrent downloads the whole file from the native WebRTC peer (no web seed)', async () => {
  const server = await startCompanion({ dist, library: lib, cache: path.join(dir, 'cache'), args: ['--no-webseed'] })
  let browser
  try {
    const item = (await (await fetch(`${server.url}/api/library`)).json()).items[0]
    assert.doesNotMatch(item.magnet, /[?&]ws=/)
    browser = await launchWebRtcBrowser()
    await browser.grant(server.url)
    const tracker = server.url.replace('http://', 'ws://') + '/announce'
    const result = await download(browser, server.url, item.magnet, tracker)
    assert.equal(result.length, SIZE)
    assert.equal(result.digest, expected)
    assert.ok(result.wires.includes('webrtc'), JSON.stringify(result.wires))
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    const sent = Number(metrics.match(/^shoal_uploaded_bytes_total\{transport="webrtc"\} (\d+)$/m)?.[1] ?? 0)
    assert.ok(sent >= SIZE, metrics)
  } finally {
    await browser?.close()
    assert.equal(await server.stop(), 0)
  }
})

test('/files is a working web seed for WebTorrent when WebRTC seeding is off', async () => {
  const server = await startCompanion({ dist, library: lib, cache: path.join(dir, 'cache'), args: ['--no-webrtc'] })
  let browser
  try {
    const item = (await (await fetch(`${server.url}/api/library`)).json()).items[0]
    browser = await launchWebRtcBrowser()
    await browser.grant(server.url)
    const tracker = server.url.replace('http://', 'ws://') + '/announce'
    // A web seed cannot give a magnet its metadata: WebTorrent gets the .torrent over HTTP.
    const result = await download(browser, server.url, item.torrentUrl, tracker)
    assert.equal(result.length, SIZE)
    assert.equal(result.digest, expected)
    assert.ok(result.wires.includes('webSeed'), JSON.stringify(result.wires))
    assert.ok(!result.wires.includes('webrtc'), JSON.stringify(result.wires))
  } finally {
    await browser?.close()
    assert.equal(await server.stop(), 0)
  }
})
