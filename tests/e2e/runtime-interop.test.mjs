// The Shoal runtime (wasm, in one headless Chromium page) downloads a file that npm webtorrent's
// browser bundle seeds in another page, through `shoal tracker` alone (no STUN, loopback only),
// and every byte is checked.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { test } from 'node:test'
import { buildHarness, harnessPage, serveHarness } from '../support/runtime-harness.mjs'
import { root } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'

const SIZE = 3 * 1024 * 1024 + 12345
const bundle = readFileSync(path.join(root, 'node_modules/webtorrent/dist/webtorrent.min.js'))
const seederPage = '<!doctype html><meta charset="utf-8"><title>seeder</title>' +
  '<script type="module">import WebTorrent from "/webtorrent.min.js"; window.WebTorrent = WebTorrent</script>'

function fileBytes () {
  const bytes = Buffer.alloc(SIZE)
  for (let i = 0; i < SIZE; i++) bytes[i] = (i * 7 + (i >> 9)) & 255
  return bytes
}

function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms) })
  ]).finally(() => clearTimeout(timer))
}

test('the Shoal runtime downloads a file seeded by WebTorrent through our tracker', async () => {
  buildHarness()
  const server = http.createServer((req, res) => {
    if (serveHarness(req, res)) return
    if (req.url === '/webtorrent.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
    } else if (req.url === '/seeder') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(seederPage)
    } else if (req.url === '/leecher') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(harnessPage)
    } else {
      res.writeHead(404).end()
    }
  })
  let tracker, browser
  try {
    await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
    const origin = `http://127.0.0.1:${server.address().port}`
    tracker = await startTracker()
    browser = await launchWebRtcBrowser()
    await browser.grant(origin)
    const errors = []
    const open = async (p, ready) => {
      const page = await browser.context.newPage()
      page.on('pageerror', e => errors.push(e))
      await page.goto(origin + p)
      await page.waitForFunction(ready)
      return page
    }
    const seeder = await open('/seeder', () => typeof window.WebTorrent === 'function')
    const leecher = await open('/leecher', () => typeof window.shoalDownload === 'function')

    const magnet = await withTimeout(seeder.evaluate(async ({ tracker, size }) => {
      const bytes = new Uint8Array(size)
      for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 9)) & 255
      const client = new window.WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
      window.client = client
      return new Promise((resolve, reject) => {
        client.on('error', e => reject(new Error(String(e))))
        client.seed(new File([bytes], 'shoal.bin'), { announce: [tracker], pieceLength: 256 * 1024 },
          t => resolve(t.magnetURI))
      })
    }, { tracker: tracker.url, size: SIZE }), 30_000, 'seeding')
    assert.match(magnet, /^magnet:\?xt=urn:btih:/)

    const got = await withTimeout(leecher.evaluate(async ({ magnet, tracker }) => {
      const r = await window.shoalDownload(magnet, tracker)
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', r.bytes))
      const sha256 = [...hash].map(b => b.toString(16).padStart(2, '0')).join('')
      return { length: r.bytes.length, sha256, trackerState: r.trackerState, peersSeen: r.peersSeen, bytesFromPeers: r.bytesFromPeers }
    }, { magnet, tracker: tracker.url }), 120_000, 'downloading with the Shoal runtime')
    const expected = fileBytes()
    assert.equal(got.length, expected.length)
    assert.equal(got.sha256, createHash('sha256').update(expected).digest('hex'), 'every byte matches the seeded file')
    assert.equal(got.trackerState, 'answered')
    assert.ok(got.peersSeen >= 1)
    assert.ok(got.bytesFromPeers >= SIZE)
    assert.deepEqual(errors, [])

    const stats = await (await fetch(`${tracker.http}/stats`)).json()
    assert.ok(stats.offers_relayed >= 1, JSON.stringify(stats))
    assert.ok(stats.answers_routed >= 1, JSON.stringify(stats))
  } finally {
    await browser?.close()
    await tracker?.stop()
    await new Promise(resolve => server.close(resolve))
  }
})
