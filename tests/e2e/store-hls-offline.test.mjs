// Offline replay of an HLS VOD stream (issue 14): a tagged stream watched once keeps its
// verified segments and its playlist in the download store. Then the origin and the companion
// stop and the browser goes offline; the app opens from the Service Worker's shell and the
// same /watch page plays the stream again through Shoal's hls.js loader — the playlist and
// every segment from the store — seeking included.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startHlsApp } from '../support/hls-fixture.mjs'
import { withTimeout } from '../support/player-fixtures.mjs'
import { launchBrowser, screenshot } from '../support/shoal.mjs'
import { downloads } from '../support/store-world.mjs'

let world, app, browser, stream, origin, watchPath

before(async () => {
  world = await startHlsApp()
  ;({ app, stream, origin } = world)
  browser = await launchBrowser()
  watchPath = `/watch?hls=${encodeURIComponent(`${origin.base}/tagged.m3u8`)}`
})

after(async () => {
  await browser?.context.setOffline(false)
  await browser?.close()
  await world?.stop()
})

const video = '[data-testid=watch-video]'
const currentTime = page => page.evaluate(v => document.querySelector(v)?.currentTime ?? 0, video)
const playsPast = (page, seconds, what) => withTimeout(page.waitForFunction(([v, s]) =>
  (document.querySelector(v)?.currentTime ?? 0) > s, [video, seconds], { timeout: 0, polling: 200 }), 60_000, what)

test('offline: an HLS stream watched before plays and seeks from the store', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(new URL(watchPath, app.url).href)
  await playsPast(page, 1, 'the first play')

  // Every segment stored (hls.js buffers the whole 14 s stream ahead), and the shell cached.
  const list = await browser.context.newPage()
  const deadline = Date.now() + 60_000
  for (;;) {
    await list.goto(new URL('/downloads', app.url).href)
    const row = (await downloads(list)).find(r => r.kind === 'HlsStream')
    if (row?.segments === stream.segments.length) break
    assert.ok(Date.now() < deadline, `every segment stored: ${JSON.stringify(row)}`)
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  await list.close()
  await withTimeout(page.waitForFunction(async () => Boolean(navigator.serviceWorker.controller) &&
    (await caches.keys()).some(k => k.startsWith('shoal-shell-')), null, { timeout: 0, polling: 250 }), 60_000, 'the shell cache')

  // The browser's HTTP cache is no store (it evicts freely, and a restart may drop it): empty
  // it, so what plays offline can only come from Shoal's store.
  const cdp = await browser.context.newCDPSession(page)
  await cdp.send('Network.clearBrowserCache')
  await cdp.detach()
  // The network goes: the origin, the companion, and the browser's connection.
  await origin.stop()
  origin = null
  await app.stop()
  app = null
  await browser.context.setOffline(true)

  await page.evaluate(p => { location.href = p }, watchPath)
  await page.getByTestId('app-nav').waitFor({ timeout: 30_000 })
  await playsPast(page, 1, 'playing offline from the store')
  const duration = await page.evaluate(v => document.querySelector(v).duration, video)
  assert.ok(duration > 10, `the whole stream's duration: ${duration}`)
  await page.evaluate(([v, t]) => { document.querySelector(v).currentTime = t }, [video, duration * 0.7])
  await playsPast(page, duration * 0.7 + 1, 'playing offline after a seek to 70 %')
  assert.ok(await currentTime(page) > duration * 0.7)
  await screenshot(page, 'store-hls-offline')

  const s = await page.evaluate(() => window.shoal.hlsStats())
  const late = s.recent.filter(r => r.delivery !== 'store')
  assert.equal(late.length, 0, `every segment came from the store: ${JSON.stringify(s.recent)}`)
  assert.ok(s.recent.length >= 2, JSON.stringify(s.recent))
  assert.deepEqual(errors, [])
  await page.close()
})
