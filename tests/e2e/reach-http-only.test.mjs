// A browser without WebRTC (old TV engines, locked-down browsers): with `RTCPeerConnection`
// removed before the app loads, a torrent that names a tracker and a web seed still plays, from
// the web seed only, and the player says why no peer is used instead of failing.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { makeTorrent, makeVideo, playsPast, startFixtureServer } from '../support/player-fixtures.mjs'
import { launchBrowser, screenshot, startServe } from '../support/shoal.mjs'
import { startTracker } from '../support/tracker.mjs'

let video, tracker, serve, fixtures, browser

before(async () => {
  video = makeVideo(8)
  tracker = await startTracker()
  serve = await startServe()
  fixtures = await startFixtureServer({ '/clip.mp4': video.file })
  const torrent = makeTorrent(video, { announce: [tracker.url], webseeds: [`${fixtures.origin}/clip.mp4`] })
  fixtures.addFile('/clip.torrent', torrent.torrentFile)
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await fixtures?.stop()
  await serve?.stop()
  await tracker?.stop()
  video?.cleanup()
})

test('without RTCPeerConnection a torrent plays from its web seed and the player says so', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.addInitScript(() => {
    delete window.RTCPeerConnection
    delete window.webkitRTCPeerConnection
  })
  await page.goto(serve.url)
  await page.evaluate(s => localStorage.setItem('shoal.settings', s), JSON.stringify({ trackers: [], ice_servers: [] }))
  await page.goto(`${serve.url}play?src=${encodeURIComponent(fixtures.origin + '/clip.torrent')}`)
  await playsPast(page, 2, 'playing from the web seed')
  const notice = page.locator('[data-notice=no-webrtc]')
  assert.match(await notice.textContent(), /no WebRTC.*web seeds/)
  const s = await page.evaluate(() => window.shoal.stats())
  assert.equal(s.bytes_from_peers, 0)
  assert.ok(s.bytes_from_http > 0)
  await screenshot(page, 'reach-http-only')
  assert.deepEqual(errors, [])
  await page.close()
})
