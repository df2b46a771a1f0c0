// The Shoal runtime (wasm, in one headless Chromium page) downloads a file that npm webtorrent's
// browser bundle seeds in another page, through `shoal tracker` alone (no STUN, loopback only),
// and every byte is checked.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { buildHarness, openHarnessPage, serveHarness } from '../support/runtime-harness.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'
import { openWebTorrentPage, patternBytes, serveWebTorrentPage, withTimeout } from '../support/webtorrent.mjs'

const SIZE = 3 * 1024 * 1024 + 12345

test('the Shoal runtime downloads a file seeded by WebTorrent through our tracker', async () => {
  buildHarness()
  let server, tracker, browser
  try {
    server = await serveWebTorrentPage(serveHarness)
    const origin = server.origin
    tracker = await startTracker()
    browser = await launchWebRtcBrowser()
    await browser.grant(origin)
    const errors = []
    const seeder = await openWebTorrentPage(browser, origin + '/', errors)
    const leecher = await openHarnessPage(browser, origin, errors)

    const magnet = await withTimeout(seeder.evaluate(({ tracker, size }) =>
      window.wt.seed(window.wt.patternBytes(size, 7), 'shoal.bin', { announce: [tracker], pieceLength: 256 * 1024 }),
    { tracker: tracker.url, size: SIZE }), 30_000, 'seeding')
    assert.match(magnet, /^magnet:\?xt=urn:btih:/)

    const got = await withTimeout(leecher.evaluate(async ({ magnet, tracker }) => {
      const r = await window.shoalDownload(magnet, tracker)
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', r.bytes))
      const sha256 = [...hash].map(b => b.toString(16).padStart(2, '0')).join('')
      return { length: r.bytes.length, sha256, trackerState: r.trackerState, peersSeen: r.peersSeen, bytesFromPeers: r.bytesFromPeers }
    }, { magnet, tracker: tracker.url }), 120_000, 'downloading with the Shoal runtime')
    const expected = patternBytes(SIZE, 7)
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
    await server?.close()
  }
})
