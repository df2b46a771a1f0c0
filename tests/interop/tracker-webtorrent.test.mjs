// WebTorrent 3 (npm webtorrent, its browser bundle) in two headless Chromium pages moves a file
// through `shoal tracker` alone: the seeder's offers and the leecher's answers are relayed by
// our tracker (no other tracker, no DHT, no STUN), then the bytes flow over WebRTC.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { test } from 'node:test'
import { root } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'

const SIZE = 1 << 20
const bundle = readFileSync(path.join(root, 'node_modules/webtorrent/dist/webtorrent.min.js'))
const page = '<!doctype html><meta charset="utf-8"><title>tracker interop</title>' +
  '<script type="module">import WebTorrent from "/webtorrent.min.js"; window.WebTorrent = WebTorrent</script>'

/** The file both sides agree on: deterministic bytes, so node knows the expected digest. */
function expectedDigest () {
  const bytes = Buffer.alloc(SIZE)
  for (let i = 0; i < SIZE; i++) bytes[i] = (i * 7 + (i >> 8)) & 255
  return createHash('sha256').update(bytes).digest('hex')
}

function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms) })
  ]).finally(() => clearTimeout(timer))
}

test('WebTorrent moves a file between two browser pages through our tracker', async () => {
  const server = http.createServer((req, res) => {
    if (req.url === '/webtorrent.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page)
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
    const open = async () => {
      const p = await browser.context.newPage()
      p.on('pageerror', e => errors.push(e))
      await p.goto(origin + '/')
      await p.waitForFunction(() => typeof window.WebTorrent === 'function')
      return p
    }
    const seederPage = await open()
    const leecherPage = await open()

    const magnet = await withTimeout(seederPage.evaluate(async ({ tracker, size }) => {
      const bytes = new Uint8Array(size)
      for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 255
      const client = new window.WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
      window.client = client
      return new Promise((resolve, reject) => {
        client.on('error', e => reject(new Error(String(e))))
        client.seed(new File([bytes], 'shoal.bin'), { announce: [tracker] }, t => resolve(t.magnetURI))
      })
    }, { tracker: tracker.url, size: SIZE }), 30_000, 'seeding')
    assert.match(magnet, /^magnet:\?xt=urn:btih:/)

    const digest = await withTimeout(leecherPage.evaluate(async ({ tracker, magnet }) => {
      const client = new window.WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
      window.client = client
      const torrent = await new Promise((resolve, reject) => {
        client.on('error', e => reject(new Error(String(e))))
        client.add(magnet, { announce: [tracker] }, resolve)
      })
      if (!torrent.done) await new Promise(resolve => torrent.once('done', resolve))
      const buf = await torrent.files[0].arrayBuffer()
      const hash = await crypto.subtle.digest('SHA-256', buf)
      return [...new Uint8Array(hash)].map(b => b.toString(16).padStart(2, '0')).join('')
    }, { tracker: tracker.url, magnet }), 60_000, 'downloading')
    assert.equal(digest, expectedDigest())
    assert.deepEqual(errors, [])

    // The signalling went through our tracker.
    const stats = await (await fetch(`${tracker.http}/stats`)).json()
    assert.ok(stats.offers_relayed >= 1, JSON.stringify(stats))
    assert.ok(stats.answers_routed >= 1, JSON.stringify(stats))
    assert.equal(stats.swarms, 1)
  } finally {
    await browser?.close()
    await tracker?.stop()
    await new Promise(resolve => server.close(resolve))
  }
})
