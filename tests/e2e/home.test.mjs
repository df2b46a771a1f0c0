// The home page, as a visitor uses it: Shoal's shell loads, and the source box inspects a magnet
// link or an info hash with the wasm-compiled metainfo parser.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launchBrowser, openPage, screenshot, startServe } from '../support/shoal.mjs'

let server, browser

before(async () => {
  server = await startServe()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

const HASH = 'd2474e86c95b19b8bcfdb92bc12c9d44667cfa36'

test('the shell says what Shoal is and inspects a magnet link', async () => {
  const { page, errors } = await openPage(browser.context, server.url)
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  assert.match(await page.textContent('body'), /Video from peers/)

  const magnet = `magnet:?xt=urn:btih:${HASH}&dn=Leaves+of+Grass&tr=wss%3A%2F%2Ftracker.example.com&ws=https%3A%2F%2Fexample.com%2Fleaves.epub&xl=362017`
  await page.getByLabel('Magnet link or info hash').fill(magnet)
  const details = page.getByTestId('source-details')
  await details.waitFor()
  assert.equal(await details.locator('[data-field=name]').textContent(), 'Leaves of Grass')
  assert.equal(await details.locator('[data-field=info-hash]').textContent(), HASH)
  assert.equal(await details.locator('[data-field=trackers] li').textContent(), 'wss://tracker.example.com')
  assert.equal(await details.locator('[data-field=webseeds] li').textContent(), 'https://example.com/leaves.epub')
  assert.match(await details.locator('[data-field=length]').textContent(), /354 KiB \(362,017 bytes\)/)
  assert.match(await details.locator('[data-field=canonical]').textContent(), new RegExp(`^magnet:\\?xt=urn:btih:${HASH}`))
  await screenshot(page, 'home-magnet')
  assert.deepEqual(errors, [])
})

test('a bare info hash in base32 is accepted and shown in hex', async () => {
  const { page, errors } = await openPage(browser.context, server.url)
  // The same hash in base32 (RFC 4648), lower-case as some sites print it.
  await page.getByLabel('Magnet link or info hash').fill('2jdu5bwjlmm3rph5xev4cle5irthz6rw')
  const details = page.getByTestId('source-details')
  await details.waitFor()
  assert.equal(await details.locator('[data-field=info-hash]').textContent(), HASH)
  assert.equal(await details.locator('[data-field=name]').textContent(), 'Unnamed torrent')
  assert.deepEqual(errors, [])
})

test('an invalid magnet shows a clear error, and fixing it clears the error', async () => {
  const { page, errors } = await openPage(browser.context, server.url)
  const box = page.getByLabel('Magnet link or info hash')
  await box.fill('magnet:?xt=urn:btih:abc123&dn=broken')
  const error = page.getByTestId('source-error')
  await error.waitFor()
  assert.match(await error.textContent(), /info hash/i)
  await screenshot(page, 'home-error')
  await box.fill(`magnet:?xt=urn:btih:${HASH}`)
  await page.getByTestId('source-details').waitFor()
  assert.equal(await error.count(), 0)
  assert.deepEqual(errors, [])
})

test('any path is served the app, which routes it; the wasm has its MIME type', async () => {
  const { page, errors } = await openPage(browser.context, `${server.url}some/app/route`)
  // The server answered index.html; the app's router shows its own not-found page.
  await page.getByRole('heading', { name: 'Nothing here' }).waitFor()
  assert.match(await page.locator('main').innerText(), /\/some\/app\/route/)
  const wasm = await page.evaluate(() => performance.getEntriesByType('resource').map(e => e.name).find(n => n.endsWith('.wasm')))
  assert.ok(wasm, 'the page loaded a .wasm')
  const res = await fetch(wasm)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), 'application/wasm')
  assert.deepEqual(errors, [])
})

test('a narrow phone screen still shows everything', async () => {
  const page = await browser.context.newPage()
  await page.setViewportSize({ width: 390, height: 844 })
  await page.goto(server.url)
  await page.getByLabel('Magnet link or info hash').fill(`magnet:?xt=urn:btih:${HASH}&dn=Leaves+of+Grass`)
  await page.getByTestId('source-details').waitFor()
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
  assert.equal(overflow, false, 'no horizontal scrolling')
  await screenshot(page, 'home-phone')
})
