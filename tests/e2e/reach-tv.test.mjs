// A TV remote: with the 10-foot layout at 1920×1080, using only the arrow keys, Enter and
// Escape, a viewer goes from the home page to Discover, opens a title, picks its HTTP stream,
// plays it and comes back. Each step presses a key until focus reaches the target, so the test
// follows spatial navigation the way a viewer would (and fails when focus never gets there).
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, root, screenshot, spawnShoal } from '../support/shoal.mjs'
import { makeClip, removeDir, startGoodAddon } from '../support/addon-fixture.mjs'
import { withTimeout } from '../support/player-fixtures.mjs'

let server, browser, good, clip, emptyLibrary

before(async () => {
  clip = makeClip()
  good = await startGoodAddon(clip.file)
  emptyLibrary = mkdtempSync(path.join(tmpdir(), 'shoal-empty-library-'))
  const proc = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', path.join(root, 'dist'), '--library', emptyLibrary], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+\/)/, what: 'shoal serve', killAfterMs: 5_000
  })
  server = { url: proc.found, stop: proc.stop }
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
  await good?.stop()
  if (clip) removeDir(clip.dir)
  if (emptyLibrary) removeDir(emptyLibrary)
})

/** Presses `key` until `done()` (run in the page) is true; at most `max` presses. */
async function pressUntil (page, key, done, what, max = 40) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate(done)) return
    await page.keyboard.press(key)
    // Focus moves synchronously on keydown; a page change may take a frame or two.
    await page.waitForTimeout(50)
  }
  assert.ok(await page.evaluate(done), `${what}: not reached after ${max} × ${key}`)
}

/** Left or Right along a row until `selector` has the focus, the way a viewer looks first. */
async function alongRowTo (page, selector, what) {
  const left = await page.evaluate(sel => document.querySelector(sel).getBoundingClientRect().left < document.activeElement.getBoundingClientRect().left, selector)
  await pressUntil(page, left ? 'ArrowLeft' : 'ArrowRight', focused(selector), what)
}

const focused = selector => new Function(`return !!document.activeElement?.matches(${JSON.stringify(selector)})`)

test('home → Discover → title → stream → play → back, by remote keys alone', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.setViewportSize({ width: 1920, height: 1080 })
  // Set-up (not part of the walk): the TV layout and an installed add-on.
  await page.goto(new URL(`/addons?install=${encodeURIComponent(good.url)}`, server.url).href)
  await page.evaluate(() => localStorage.setItem('shoal.layout', 'tv'))
  await page.getByTestId('addon-preview').getByRole('button', { name: 'Install' }).click()
  await page.getByTestId('installed-addon').first().waitFor()

  await page.goto(server.url)
  await page.getByTestId('app-nav').waitFor()
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('tv')), true, 'the TV layout')
  await screenshot(page, 'reach-tv-home')

  // Up from the source box (focused on load) to the navigation bar, along it to Discover.
  await pressUntil(page, 'ArrowUp', focused('[data-testid=app-nav] a'), 'the navigation bar')
  await alongRowTo(page, 'a[data-nav=Discover]', 'the Discover link')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/discover$/)
  const poster = '[data-testid=catalog][data-kind=movie] [data-testid=poster]'
  await page.locator(poster).first().waitFor()
  // Down into the first row of posters, then open the first title.
  await pressUntil(page, 'ArrowDown', focused(poster), 'a poster')
  await pressUntil(page, 'ArrowLeft', () => document.activeElement?.textContent.includes('Test Movie One'), 'the first poster')
  await screenshot(page, 'reach-tv-discover')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/detail\/movie\/tt0001000$/)

  // Down to the HTTP stream's Play link.
  const httpPlay = '[data-testid=stream][data-kind=http] a'
  await page.locator(httpPlay).first().waitFor()
  await pressUntil(page, 'ArrowDown', focused(httpPlay), 'the HTTP stream')
  await screenshot(page, 'reach-tv-detail')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/watch\?url=/)
  await withTimeout(page.waitForFunction(() => {
    const v = document.querySelector('video')
    return v && v.currentTime > 0.5
  }, null, { timeout: 0, polling: 100 }), 30_000, 'the stream playing')
  // The media key pauses it.
  await page.keyboard.press('MediaPlayPause')
  await page.waitForFunction(() => document.querySelector('video').paused)
  await screenshot(page, 'reach-tv-watch')

  // Back, twice: the title, then Discover.
  await page.keyboard.press('Escape')
  await page.waitForURL(/\/detail\/movie\/tt0001000$/)
  await page.keyboard.press('Escape')
  await page.waitForURL(/\/discover$/)

  // The same layout on a 720p TV, and the settings page where it is chosen.
  await page.setViewportSize({ width: 1280, height: 720 })
  await page.locator('[data-testid=poster]').first().waitFor()
  await screenshot(page, 'reach-tv-720p-discover')
  await pressUntil(page, 'ArrowUp', focused('[data-testid=app-nav] a'), 'the navigation bar')
  await alongRowTo(page, 'a[data-nav=Settings]', 'the Settings link')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/settings$/)
  assert.equal(await page.getByTestId('layout').inputValue(), 'tv')
  await screenshot(page, 'reach-tv-720p-settings')
  assert.deepEqual(errors, [])
  await page.close()
})
