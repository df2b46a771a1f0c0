// `shoal seed` is a WebRTC peer that WebTorrent 3 (npm webtorrent's browser bundle, in headless
// Chromium) downloads a whole file from: the browser's offer is relayed by `shoal tracker`, the
// companion's native peer (str0m) answers, and the pieces travel over the data channel. The
// magnet carries no web seed, so every byte comes from the native peer; the test compares
// each of them with the file on disk.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { startSeed } from '../support/companion-seed.mjs'
import { root } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'

// Not a multiple of any piece length: the last piece is short.
const SIZE = 3 * (1 << 20) + 12_345
const bundle = readFileSync(path.join(root, 'node_modules/webtorrent/dist/webtorrent.min.js'))
const page = '<!doctype html><meta charset="utf-8"><title>companion interop</title>' +
  '<script type="module">import WebTorrent from "/webtorrent.min.js"; window.WebTorrent = WebTorrent</script>'

function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms) })
  ]).finally(() => clearTimeout(timer))
}

test('WebTorrent in Chromium downloads a whole file from `shoal seed` over WebRTC', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-seed-'))
  const file = path.join(dir, 'clip.mp4')
  const bytes = Buffer.alloc(SIZE)
  for (let i = 0; i < SIZE; i++) bytes[i] = (i * 31 + (i >> 10) * 7) & 255
  writeFileSync(file, bytes)
  const expected = createHash('sha256').update(bytes).digest('hex')

  const server = http.createServer((req, res) => {
    if (req.url === '/webtorrent.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page)
    } else {
      res.writeHead(404).end()
    }
  })
  let tracker, seeder, browser
  try {
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${server.address().port}`
    tracker = await startTracker()
    seeder = await startSeed(file, tracker.url, ['--cache-dir', path.join(dir, 'cache')])
    assert.match(seeder.magnet, /^magnet:\?xt=urn:btih:[0-9a-f]{40}/)
    assert.doesNotMatch(seeder.magnet, /[?&]ws=/, 'the magnet must not offer a web seed')

    browser = await launchWebRtcBrowser()
    await browser.grant(origin)
    const errors = []
    const p = await browser.context.newPage()
    p.on('pageerror', e => errors.push(e))
    await p.goto(origin + '/')
    await p.waitForFunction(() => typeof window.WebTorrent === 'function')

    const result = await withTimeout(p.evaluate(async ({ tracker, magnet }) => {
      const client = new window.WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
      window.client = client
      const torrent = await new Promise((resolve, reject) => {
        client.on('error', e => reject(new Error(String(e))))
        client.add(magnet, { announce: [tracker] }, resolve)
      })
      if (!torrent.done) await new Promise(resolve => torrent.once('done', resolve))
      const buf = await torrent.files[0].arrayBuffer()
      const hash = await crypto.subtle.digest('SHA-256', buf)
      return {
        length: buf.byteLength,
        digest: [...new Uint8Array(hash)].map(b => b.toString(16).padStart(2, '0')).join(''),
        wires: torrent.wires.map(w => w.type),
        received: torrent.received
      }
    }, { tracker: tracker.url, magnet: seeder.magnet }), 120_000, 'downloading from the companion')

    assert.equal(result.length, SIZE)
    assert.equal(result.digest, expected)
    // Every byte came over a WebRTC wire (no web seed was offered).
    assert.ok(result.wires.includes('webrtc'), JSON.stringify(result.wires))
    assert.ok(!result.wires.includes('webSeed'), JSON.stringify(result.wires))
    assert.ok(result.received >= SIZE, `received ${result.received}`)
    assert.deepEqual(errors, [])
  } finally {
    await browser?.close()
    await seeder?.stop()
    await tracker?.stop()
    await new Promise(resolve => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  }
})
