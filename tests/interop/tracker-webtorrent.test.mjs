// WebTorrent 3 (npm webtorrent, its browser bundle) in two headless Chromium pages moves a file
// through `shoal tracker` alone: the seeder's offers and the leecher's answers are relayed by
// our tracker (no other tracker, no DHT, no STUN), then the bytes flow over WebRTC.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'
import { openWebTorrentPage, patternBytes, serveWebTorrentPage, withTimeout } from '../support/webtorrent.mjs'

const SIZE = 1 << 20

test('WebTorrent moves a file between two browser pages through our tracker', async () => {
  let server, tracker, browser
  try {
    server = await serveWebTorrentPage()
    tracker = await startTracker()
    browser = await launchWebRtcBrowser()
    await browser.grant(server.origin)
    const errors = []
    const seederPage = await openWebTorrentPage(browser, server.origin + '/', errors)
    const leecherPage = await openWebTorrentPage(browser, server.origin + '/', errors)

    const magnet = await withTimeout(seederPage.evaluate(({ tracker, size }) =>
      window.wt.seed(window.wt.patternBytes(size, 7), 'shoal.bin', { announce: [tracker] }),
    { tracker: tracker.url, size: SIZE }), 30_000, 'seeding')
    assert.match(magnet, /^magnet:\?xt=urn:btih:/)

    const got = await withTimeout(leecherPage.evaluate(({ tracker, magnet }) =>
      window.wt.download(magnet, { announce: [tracker] }),
    { tracker: tracker.url, magnet }), 60_000, 'downloading')
    assert.equal(got.digest, createHash('sha256').update(patternBytes(SIZE, 7)).digest('hex'))
    assert.deepEqual(errors, [])

    // The signalling went through our tracker.
    const stats = await (await fetch(`${tracker.http}/stats`)).json()
    assert.ok(stats.offers_relayed >= 1, JSON.stringify(stats))
    assert.ok(stats.answers_routed >= 1, JSON.stringify(stats))
    assert.equal(stats.swarms, 1)
  } finally {
    await browser?.close()
    await tracker?.stop()
    await server?.close()
  }
})
