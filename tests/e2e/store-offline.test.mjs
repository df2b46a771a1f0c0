// Offline replay: a video watched once through `shoal serve`'s app is stored; then the companion
// and the video's server stop and the browser goes offline. A reload still opens the app (the
// Service Worker's shell), /downloads lists the video, and its Play link plays it from the store,
// seeking included, with no byte from the network. The .torrent address it was first opened
// with plays offline too (the store kept the .torrent file).
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { makeTorrent, makeVideo, playsPast, startFixtureServer, withTimeout } from '../support/player-fixtures.mjs'
import { screenshot, startServe } from '../support/shoal.mjs'
import { launchWebRtcBrowser } from '../support/tracker.mjs'

let serve, fixtures, browser, video, torrent, torrentUrl, offlinePage

before(async () => {
  serve = await startServe()
  fixtures = await startFixtureServer({})
  browser = await launchWebRtcBrowser()
  await browser.grant(serve.url.replace(/\/$/, ''))
  video = makeVideo(10)
  fixtures.addFile('/offline.mp4', video.file)
  torrent = makeTorrent(video, { webseeds: [`${fixtures.origin}/offline.mp4`] })
  fixtures.addFile('/offline.mp4.torrent', torrent.torrentFile)
})

after(async () => {
  await browser?.context.setOffline(false)
  await browser?.close()
  await fixtures?.stop()
  await serve?.stop()
  video?.cleanup()
})

const stats = page => page.evaluate(() => window.shoal.stats())

test('offline: the app opens, Downloads lists the watched video, and it plays and seeks from the store', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(serve.url)
  // Loopback only: no public trackers, no STUN.
  await page.evaluate(() => localStorage.setItem('shoal.settings', JSON.stringify({ trackers: [], ice_servers: [] })))
  torrentUrl = `${fixtures.origin}/offline.mp4.torrent`
  await page.goto(`${serve.url}play?src=${encodeURIComponent(torrentUrl)}`)
  await playsPast(page, 1, 'the first play')
  await withTimeout(page.waitForFunction(n => {
    const s = window.shoal?.stats?.()
    return s && s.pieces_total > 0 && s.pieces_verified === s.pieces_total && s.store_bytes >= n
  }, video.bytes.length, { timeout: 0, polling: 200 }), 120_000, 'storing the whole video')
  // The shell is precached before the network goes.
  await withTimeout(page.waitForFunction(async () => Boolean(navigator.serviceWorker.controller) &&
    (await caches.keys()).some(k => k.startsWith('shoal-shell-')), null, { timeout: 0, polling: 250 }), 60_000, 'the shell cache')

  // Everything that served the page goes away (Chromium's offline emulation alone would fail
  // navigations before the Service Worker sees them; see reach-pwa.test.mjs).
  await serve.stop()
  serve = null
  await fixtures.stop()
  fixtures = null
  await browser.context.setOffline(true)

  await page.evaluate(() => { location.href = '/downloads' })
  await page.getByTestId('app-nav').waitFor({ timeout: 30_000 })
  await page.getByTestId('offline').waitFor({ timeout: 30_000 })
  const row = page.getByTestId('download')
  await row.first().waitFor({ timeout: 30_000 })
  assert.equal(await row.count(), 1)
  assert.equal(await row.first().getAttribute('data-info-hash'), /btih:([0-9a-f]{40})/i.exec(torrent.magnet)[1].toLowerCase())
  assert.equal(await row.first().locator('[data-field=percent]').textContent(), '100 %')
  await screenshot(page, 'store-offline-downloads')

  await row.first().getByTestId('download-play').click()
  await playsPast(page, 1, 'playing offline from the store')
  const duration = await page.evaluate(() => document.querySelector('video').duration)
  await page.evaluate(t => { document.querySelector('video').currentTime = t }, duration * 0.7)
  await playsPast(page, duration * 0.7 + 1, 'playing offline after a seek to 70 %')
  const s = await stats(page)
  await screenshot(page, 'store-offline-play')
  assert.equal(s.bytes_from_peers + s.bytes_from_http, 0, JSON.stringify(s))
  assert.ok(s.bytes_from_cache > 0, JSON.stringify(s))
  assert.deepEqual(errors, [])
  offlinePage = page
})

test('offline: the .torrent address the video was opened with plays it from the store', async () => {
  assert.ok(offlinePage, 'the first test ran')
  const page = offlinePage
  const errors = []
  page.on('pageerror', e => errors.push(e))
  // Opened as a viewer would (a navigation the Service Worker answers from its shell).
  await page.evaluate(src => { location.href = `/play?src=${encodeURIComponent(src)}` }, torrentUrl)
  await page.waitForURL(/\/play\?src=http/)
  await playsPast(page, 1, 'playing the .torrent link offline')
  const s = await stats(page)
  assert.equal(s.bytes_from_peers + s.bytes_from_http, 0, JSON.stringify(s))
  assert.ok(s.bytes_from_cache > 0, JSON.stringify(s))
  assert.deepEqual(errors, [])
  await page.close()
})
