// Shoal seeds a file (issue 5, test 2): a file picked in the home page's "Share a file" box is
// hashed in the page and seeded over WebRTC through `shoal tracker`; a WebTorrent 3.0.21 page
// downloads it from the magnet link the page shows, and every byte is checked.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { startFixtureServer, withTimeout } from '../support/player-fixtures.mjs'
import { screenshot, startServe } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'
import { openWebTorrentPage } from '../support/webtorrent.mjs'

// Random, so no piece repeats; not a multiple of any piece length, so the last piece is short.
const SIZE = 5 * 1024 * 1024 + 54321
let tracker, serve, fixtures, browser

before(async () => {
  tracker = await startTracker()
  serve = await startServe()
  fixtures = await startFixtureServer({})
  browser = await launchWebRtcBrowser()
  await browser.grant(fixtures.origin)
  await browser.grant(serve.url.replace(/\/$/, ''))
})

after(async () => {
  await browser?.close()
  await fixtures?.stop()
  await serve?.stop()
  await tracker?.stop()
})

test('a file shared from Shoal downloads whole into a WebTorrent page', async () => {
  const bytes = randomBytes(SIZE)
  const sha256 = createHash('sha256').update(bytes).digest('hex')

  const shoal = await browser.context.newPage()
  const errors = []
  shoal.on('pageerror', e => errors.push(e))
  await shoal.goto(serve.url)
  // Loopback only: our tracker (it goes into the torrent and its magnet), no STUN.
  await shoal.evaluate(t => localStorage.setItem('shoal.settings', JSON.stringify({ trackers: [t], ice_servers: [] })), tracker.url)
  await shoal.reload()
  await shoal.getByTestId('share-file').setInputFiles({ name: 'random.bin', mimeType: 'application/octet-stream', buffer: bytes })

  const magnetBox = shoal.getByTestId('share-magnet')
  await withTimeout(magnetBox.waitFor(), 60_000, 'hashing the shared file')
  const magnet = await magnetBox.inputValue()
  assert.match(magnet, /^magnet:\?xt=urn:btih:[0-9a-f]{40}&dn=random\.bin&tr=/)
  assert.ok(magnet.includes(`tr=${encodeURIComponent(tracker.url)}`), magnet)
  assert.equal(await shoal.getByTestId('share-play').getAttribute('href'), `/play?src=${encodeURIComponent(magnet)}`)
  await screenshot(shoal, 'share-seeding')

  const leecher = await openWebTorrentPage(browser, fixtures.origin + '/', errors)
  const got = await withTimeout(leecher.evaluate(magnet => window.wt.download(magnet, {}), magnet),
    120_000, 'downloading with WebTorrent')
  assert.equal(got.name, 'random.bin')
  assert.equal(got.length, SIZE)
  assert.equal(got.digest, sha256, 'every byte matches the shared file')
  assert.ok(got.received >= SIZE, JSON.stringify(got))

  // The share box counts what went up. The panel refreshes each second, so right after the
  // download it may still show part of it (CI once read "341 KiB"): waited for, not read once.
  const uploadedStat = '[data-testid=share-stats] [data-stat=uploaded]'
  const counter = shoal.locator(uploadedStat)
  const inMiB = sel => /MiB$/.test(document.querySelector(sel)?.textContent ?? '')
  await shoal.waitForFunction(inMiB, uploadedStat, { timeout: 10_000, polling: 250 }).catch(async () => {
    assert.fail(`the upload counter shows ${await counter.textContent()} 10 s after the download, not the file's MiB`)
  })
  const uploaded = await counter.textContent()
  assert.match(uploaded, /MiB$/, uploaded)
  await screenshot(shoal, 'share-uploaded')
  await shoal.setViewportSize({ width: 390, height: 844 })
  await screenshot(shoal, 'share-uploaded-phone')
  assert.deepEqual(errors, [])
  await leecher.close()
  await shoal.close()
})

test('an empty file gets a sentence instead of a link', async () => {
  const page = await browser.context.newPage()
  await page.goto(serve.url)
  await page.getByTestId('share-file').setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) })
  const error = page.getByTestId('share-error')
  await withTimeout(error.waitFor(), 20_000, 'the error message')
  assert.match(await error.textContent(), /The file is empty, so there is nothing to share\./)
  assert.equal(await page.getByTestId('share-magnet').count(), 0)
  await page.close()
})
