// Stremio add-ons, as a visitor uses them: install a third-party add-on (built with the official
// stremio-addon-sdk) and a broken one, browse Discover, open a movie and a series, see streams
// with badges, play a URL stream in /watch. The broken add-on's failures stay in its own rows.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, root, screenshot, shoalBin } from '../support/shoal.mjs'
import { TORRENT_HASH, makeClip, removeDir, startBrokenAddon, startGoodAddon } from '../support/addon-fixture.mjs'

let server, browser, good, broken, clip, emptyLibrary

/**
 * `shoal serve` on the built app (SHOAL_DIST, default dist/), resolved once it prints its URL.
 * Its library is an empty folder, so the companion offers no add-on of its own (that one is
 * tested in companion-addon.test.mjs) and the installed list is only what this test installs.
 */
async function serveApp () {
  const dist = process.env.SHOAL_DIST ?? path.join(root, 'dist')
  emptyLibrary = mkdtempSync(path.join(tmpdir(), 'shoal-empty-library-'))
  const child = spawn(shoalBin, ['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--library', emptyLibrary], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SHOAL_NO_DHT: 'true' } })
  let out = ''
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', d => { out += d; const m = out.match(/open (http:\/\/127\.0\.0\.1:\d+\/)/); if (m) resolve(m[1]) })
    child.on('exit', code => reject(new Error(`shoal serve exited with ${code}`)))
  })
  return {
    url,
    async stop () {
      if (child.exitCode !== null) return
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

before(async () => {
  clip = makeClip()
  good = await startGoodAddon(clip.file)
  broken = await startBrokenAddon()
  server = await serveApp()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
  await good?.stop()
  await broken?.stop()
  if (clip) removeDir(clip.dir)
  if (emptyLibrary) removeDir(emptyLibrary)
})

async function open (page, pathname) {
  await page.goto(new URL(pathname, server.url).href)
}

test('install, browse, open, stream, watch — and a broken add-on stays contained', async () => {
  const page = await browser.context.newPage()
  const pageErrors = []
  page.on('pageerror', e => pageErrors.push(e))

  // Install the good add-on by URL: preview first, then confirm.
  await open(page, '/addons')
  await page.getByLabel('Manifest URL').fill(good.url)
  await page.getByRole('button', { name: 'Preview' }).click()
  const preview = page.getByTestId('addon-preview')
  await preview.waitFor()
  assert.equal(await preview.locator('[data-field=addon-name]').textContent(), 'Shoal Test Add-on')
  assert.equal(await preview.locator('[data-field=types]').textContent(), 'movie, series')
  assert.match(await preview.locator('[data-field=catalogs]').textContent(), /Top Movies \(movie\), Shows \(series\)/)
  assert.equal(await page.getByTestId('installed-addon').count(), 0, 'nothing installed before confirming')
  await preview.getByRole('button', { name: 'Install' }).click()
  await page.getByTestId('installed-addon').first().waitFor()

  // The broken add-on through an install link.
  await open(page, `/addons?install=${encodeURIComponent(broken.url)}`)
  await page.getByTestId('addon-preview').getByRole('button', { name: 'Install' }).click()
  await page.locator('[data-testid=installed-addon]:nth-child(2)').waitFor()
  const names = await page.locator('[data-testid=installed-addon] [data-field=addon-name]').allTextContents()
  assert.deepEqual(names, ['Shoal Test Add-on', 'Broken Add-on'])

  // A bad address gets a sentence, not a crash.
  await page.getByLabel('Manifest URL').fill('https://example.com/not-a-manifest')
  await page.getByRole('button', { name: 'Preview' }).click()
  assert.match(await page.getByTestId('install-error').textContent(), /must end with \/manifest\.json/)

  // Discover: the good catalogs render posters; the broken catalog shows its own error.
  await open(page, '/discover')
  const top = page.locator('[data-testid=catalog][data-kind=movie][data-addon="Shoal Test Add-on"]')
  await top.locator('[data-testid=poster]').first().waitFor()
  assert.equal(await top.locator('[data-testid=poster]').count(), 100)
  assert.equal(await top.locator('img[loading=lazy]').count(), 100, 'posters load lazily')
  const bad = page.locator('[data-testid=catalog][data-addon="Broken Add-on"]')
  assert.match(await bad.getByTestId('addon-error').textContent(), /HTTP 500/)
  await page.locator('[data-testid=catalog][data-kind=series] [data-testid=poster]').waitFor()
  await screenshot(page, 'addons-discover')

  // Paging with skip: page 2 has the last 3 movies; the genre filter asks the add-on again.
  await top.getByRole('button', { name: 'Next ›' }).click()
  await top.getByText('Page 2').waitFor()
  await top.getByText('Movie 103').waitFor()
  assert.equal(await top.locator('[data-testid=poster]').count(), 3)
  assert.equal(await top.getByRole('button', { name: 'Next ›' }).isDisabled(), true, 'a short page is the last')
  await top.getByTestId('genre').selectOption('Drama')
  await top.getByText('Page 1').waitFor()
  await top.getByText('Movie 4', { exact: true }).waitFor()
  assert.equal(await top.locator('[data-testid=poster]').count(), 35, 'every third of 103 movies is a drama')

  // Search across add-ons that can search.
  await page.getByLabel('Search add-ons').fill('movie one')
  await page.getByLabel('Search add-ons').press('Enter')
  await page.waitForURL(/\/search\?q=movie%20one/)
  await page.locator('[data-testid=poster]').first().waitFor()
  assert.deepEqual(await page.locator('[data-testid=poster] .poster-name').allTextContents(), ['Test Movie One'])

  // Detail: the meta, and streams from every stream add-on with badges.
  await page.locator('[data-testid=poster]').first().click()
  await page.waitForURL(/\/detail\/movie\/tt0001000$/)
  assert.equal(await page.locator('[data-field=meta-name]').textContent(), 'Test Movie One')
  const goodStreams = page.locator('[data-testid=stream-group][data-addon="Shoal Test Add-on"]')
  await goodStreams.getByTestId('stream').first().waitFor()
  const torrent = goodStreams.locator('[data-testid=stream][data-kind=torrent]')
  assert.deepEqual(await torrent.getByTestId('badge').allTextContents(), ['Torrent', 'Not web-ready', '1080p', '1.3 GiB'])
  assert.deepEqual(await goodStreams.locator('[data-kind=http] [data-testid=badge]').allTextContents(), ['HTTP', '720p'])
  assert.deepEqual(await goodStreams.locator('[data-kind=hls] [data-testid=badge]').allTextContents(), ['HLS'])
  assert.equal(await goodStreams.locator('[data-kind=external] a').getAttribute('target'), '_blank')
  const playHref = await torrent.getByRole('link', { name: 'Play' }).getAttribute('href')
  const play = new URL(playHref, server.url)
  assert.equal(play.pathname, '/play')
  assert.equal(play.searchParams.get('file'), '0')
  const magnet = play.searchParams.get('src')
  assert.ok(magnet.startsWith(`magnet:?xt=urn:btih:${TORRENT_HASH}`), magnet)
  assert.ok(magnet.includes('tr=wss%3A%2F%2Ftracker.example%2Fannounce'), magnet)
  assert.ok(!magnet.includes('dht'), 'dht: sources are not trackers')
  const badStreams = page.locator('[data-testid=stream-group][data-addon="Broken Add-on"]')
  assert.match(await badStreams.getByTestId('addon-error').textContent(), /did not send JSON/)
  await screenshot(page, 'addons-detail-streams')

  // A URL stream plays in /watch.
  await goodStreams.locator('[data-kind=http]').getByRole('link', { name: 'Play' }).click()
  await page.waitForURL(/\/watch\?url=/)
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=watch-video]')
    return v && v.readyState >= 2 && v.videoWidth === 320
  })
  const duration = await page.evaluate(() => document.querySelector('[data-testid=watch-video]').duration)
  assert.ok(Math.abs(duration - 2) < 0.2, `duration ${duration}`)
  await screenshot(page, 'addons-watch')

  // The HLS stream plays too, through hls.js with Shoal's loader (native HLS only where the
  // browser has no Media Source Extensions).
  await page.goBack()
  await goodStreams.locator('[data-kind=hls]').getByRole('link', { name: 'Play' }).click()
  await page.waitForURL(/\/watch\?url=.*m3u8/)
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=watch-video]')
    return v && v.readyState >= 2 && v.videoWidth === 320
  })
  const viaHlsJs = await page.evaluate(() => typeof window.Hls === 'function')
  assert.ok(viaHlsJs, 'HLS goes through hls.js and Shoal\'s loader wherever MSE exists')

  // A series: seasons and episodes; an episode's streams are asked for by its video id.
  await open(page, '/detail/series/tt9000001')
  await page.getByTestId('episodes').waitFor()
  assert.deepEqual(await page.getByRole('tab').allTextContents(), ['Season 1', 'Season 2'])
  assert.deepEqual(await page.getByTestId('episode').allTextContents(), ['S1 E1 · Pilot', 'S1 E2 · The Second One'])
  await page.getByTestId('episode').nth(1).click()
  const episodeStream = page.locator('[data-testid=stream-group][data-addon="Shoal Test Add-on"] [data-testid=stream]')
  await episodeStream.waitFor()
  assert.match(await episodeStream.textContent(), /tt9000001:1:2 480p/)
  await page.getByRole('tab', { name: 'Season 2' }).click()
  assert.deepEqual(await page.getByTestId('episode').allTextContents(), ['S2 E1 · Return'])
  // The first season's episode and its streams went with it.
  await page.getByText('Pick an episode to see its streams.').waitFor()
  assert.equal(await page.getByTestId('streams').count(), 0)
  assert.equal(await page.locator('[data-testid=episode].active').count(), 0)
  await screenshot(page, 'addons-series')

  // Reorder and remove persist across reloads.
  await open(page, '/addons')
  await page.getByTestId('installed-addon').nth(1).getByRole('button', { name: 'Move up' }).click()
  await page.reload()
  await page.getByTestId('installed-addon').nth(1).waitFor()
  assert.deepEqual(await page.locator('[data-testid=installed-addon] [data-field=addon-name]').allTextContents(), ['Broken Add-on', 'Shoal Test Add-on'])
  await page.getByTestId('installed-addon').first().getByRole('button', { name: 'Remove' }).click()
  await page.reload()
  await page.getByTestId('installed-addon').first().waitFor()
  assert.deepEqual(await page.locator('[data-testid=installed-addon] [data-field=addon-name]').allTextContents(), ['Shoal Test Add-on'])

  assert.deepEqual(pageErrors, [])
})

test('where the browser has no native HLS, /watch plays the playlist through hls.js', async () => {
  const page = await browser.context.newPage()
  const pageErrors = []
  page.on('pageerror', e => pageErrors.push(e))
  // Hide Chromium's native HLS so the page must fall back to hls.js over Media Source Extensions.
  await page.addInitScript(() => {
    const canPlay = HTMLMediaElement.prototype.canPlayType
    HTMLMediaElement.prototype.canPlayType = function (type) { return /mpegurl/i.test(type) ? '' : canPlay.call(this, type) }
  })
  await open(page, `/watch?url=${encodeURIComponent(`${good.base}/media/live.m3u8`)}`)
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-testid=watch-video]')
    return v && v.readyState >= 2 && v.videoWidth === 320
  })
  assert.equal(await page.evaluate(() => typeof window.Hls), 'function', 'hls.js was loaded from /hls.min.js')
  assert.ok(await page.evaluate(() => document.querySelector('[data-testid=watch-video]').src.startsWith('blob:')), 'played through MSE')
  assert.equal(await page.getByTestId('watch-error').count(), 0)
  assert.deepEqual(pageErrors, [])
})
