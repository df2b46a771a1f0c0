// Seeder loss mid-stream (issue 17): the player streams a video from its only peer, a
// WebTorrent 3 page uploading at a little over twice the video's bit rate, with a web seed in
// the magnet as well. When 40 % of the pieces are verified the peer's page closes. The web seed
// takes over: the download completes from HTTP, the video plays on to the end, and the stats
// panel counts the stalls the viewer saw (printed, never asserted on: stall lengths are times,
// and this machine is noisy).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { makeVideo, openShoalPage, playsPast, startFixtureServer, withTimeout } from '../support/player-fixtures.mjs'
import { screenshot, startServe } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'

const SECONDS = 30
const BITRATE = '1M'
// 1 Mbit/s of video is 128 KiB/s: the peer sends 2.5 times that, so the buffer grows.
const UPLOAD_BYTES_PER_SECOND = 320 * 1024

let video, tracker, serve, fixtures, browser

before(async () => {
  video = makeVideo(SECONDS, { bitrate: BITRATE })
  tracker = await startTracker()
  serve = await startServe()
  fixtures = await startFixtureServer({ '/clip.mp4': video.file })
  browser = await launchWebRtcBrowser()
  await browser.grant(fixtures.origin)
  await browser.grant(serve.url.replace(/\/$/, ''))
})

after(async () => {
  await browser?.close()
  await fixtures?.stop()
  await serve?.stop()
  await tracker?.stop()
  video?.cleanup()
})

test('the only peer leaves at 40 %: the web seed takes over and the video plays to the end', async t => {
  const seeder = await browser.context.newPage()
  await seeder.goto(fixtures.origin + '/')
  await seeder.waitForFunction(() => typeof window.wt === 'object')
  const seeded = await withTimeout(seeder.evaluate(async ({ tracker, rate }) => {
    const bytes = new Uint8Array(await (await fetch('/clip.mp4')).arrayBuffer())
    const magnet = await window.wt.seed(bytes, 'clip.mp4', { announce: [tracker] })
    window.client.throttleUpload(rate)
    return magnet
  }, { tracker: tracker.url, rate: UPLOAD_BYTES_PER_SECOND }), 60_000, 'seeding')
  const magnet = `${seeded}&ws=${encodeURIComponent(fixtures.origin + '/clip.mp4')}`

  const { page, errors } = await openShoalPage(browser, serve.url, `/play?src=${encodeURIComponent(magnet)}`)
  try {
    await playsPast(page, 1, 'playing from the peer')

    await withTimeout(page.waitForFunction(() => {
      const s = window.shoal.stats()
      return s && s.pieces_total > 0 && s.pieces_verified >= 0.4 * s.pieces_total
    }, null, { timeout: 0, polling: 100 }), 90_000, 'the first 40 % of the pieces')
    const atLoss = await page.evaluate(() => window.shoal.stats())
    await seeder.close()
    assert.ok(atLoss.bytes_from_peers > 0, 'the peer sent bytes before it left')
    assert.ok(atLoss.pieces_verified < atLoss.pieces_total, 'the peer left before the end')

    await withTimeout(page.waitForFunction(() => {
      const s = window.shoal.stats()
      return s.pieces_verified === s.pieces_total
    }, null, { timeout: 0, polling: 250 }), 120_000, 'the rest of the pieces after the peer left')
    await withTimeout(page.waitForFunction(() => document.querySelector('video').ended, null,
      { timeout: 0, polling: 250 }), (SECONDS + 60) * 1000, 'playing to the end')
    await screenshot(page, 'fault-seeder-loss')

    const end = await page.evaluate(() => window.shoal.stats())
    t.diagnostic(`at the loss: ${atLoss.pieces_verified}/${atLoss.pieces_total} pieces, ` +
      `${atLoss.bytes_from_peers} B from the peer, ${atLoss.bytes_from_http} B from HTTP; ` +
      `at the end: ${end.bytes_from_http} B from HTTP; stalls ${end.stalls} ` +
      `(${end.stalled_ms.toFixed(0)} ms in all, longest ${end.longest_stall_ms.toFixed(0)} ms)`)
    assert.ok(end.bytes_from_http > atLoss.bytes_from_http, 'the web seed sent the rest')
    assert.equal(end.peers, 0, 'no peer is left')
    assert.equal(end.hash_failures, 0)
    assert.equal(end.state, 'playing')
    assert.equal(typeof end.stalls, 'number')
    const panel = await page.locator('[data-stat=stalls]').textContent()
    assert.equal(panel === 'none', end.stalls === 0, `the panel says "${panel}" for ${end.stalls} stalls`)
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
    if (!seeder.isClosed()) await seeder.close()
  }
})
