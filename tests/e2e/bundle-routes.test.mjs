// The app's own routing (crates/app/src/route.rs, which replaced leptos_router to shrink the
// player's bundle): links inside the app change the page without loading it again, Back and
// Forward return to the pages and queries they left, deep links open their page, and clicks the
// browser should handle (new tab, another origin) are left to it.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { launchBrowser, openPage, startServe } from '../support/shoal.mjs'

let server, browser

before(async () => {
  server = await startServe()
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

// A value on `window` survives client-side navigation and is gone after a page load.
const mark = page => page.evaluate(() => { window.__sameDocument = true })
const sameDocument = page => page.evaluate(() => window.__sameDocument === true)

test('links and the search box navigate in the page; Back and Forward restore page and query', async () => {
  const { page, errors } = await openPage(browser.context, server.url)
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  await mark(page)

  await page.locator('[data-nav=Settings]').click()
  await page.waitForURL(/\/settings$/)
  assert.equal(await page.locator('[data-nav=Settings]').getAttribute('aria-current'), 'page')
  assert.equal(await page.locator('[data-nav=Home]').getAttribute('aria-current'), null)

  await page.locator('[data-nav=Live]').click()
  await page.waitForURL(/\/live$/)
  await page.getByRole('heading', { name: /live/i }).first().waitFor()

  const search = page.getByLabel('Search add-ons')
  await search.fill('leaves of grass')
  await search.press('Enter')
  await page.waitForURL(/\/search\?q=leaves%20of%20grass$/)
  await page.getByRole('heading', { name: 'Results for “leaves of grass”' }).waitFor()
  await search.fill('second')
  await search.press('Enter')
  await page.getByRole('heading', { name: 'Results for “second”' }).waitFor()
  assert.ok(await sameDocument(page), 'no page load while navigating')

  await page.goBack()
  await page.getByRole('heading', { name: 'Results for “leaves of grass”' }).waitFor()
  assert.equal(await search.inputValue(), 'leaves of grass')
  await page.goBack()
  await page.waitForURL(/\/live$/)
  assert.equal(await page.locator('[data-nav=Live]').getAttribute('aria-current'), 'page')
  await page.goBack()
  await page.waitForURL(/\/settings$/)
  await page.goBack()
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  await page.goForward()
  await page.waitForURL(/\/settings$/)
  assert.equal(await page.locator('[data-nav=Settings]').getAttribute('aria-current'), 'page')
  assert.ok(await sameDocument(page), 'no page load on Back and Forward')
  assert.deepEqual(errors, [])
})

test('deep links open their page; unknown paths get the not-found page', async () => {
  const { page, errors } = await openPage(browser.context, `${server.url}search?q=a+b%26c`)
  await page.getByRole('heading', { name: 'Results for “a b&c”' }).waitFor()
  assert.equal(await page.getByLabel('Search add-ons').inputValue(), 'a b&c')

  // The id's encoded `:` reaches the page decoded (the path parameter is decoded by the page).
  await page.goto(`${server.url}streams/series/tt1%3A2%3A3`)
  await page.getByRole('heading', { name: 'Streams' }).waitFor()
  assert.equal(await page.locator('main code').first().textContent(), 'tt1:2:3')

  for (const path of ['live/a/b', 'detail/movie', 'playlist']) {
    await page.goto(`${server.url}${path}`)
    await page.getByRole('heading', { name: 'Nothing here' }).waitFor()
    assert.match(await page.locator('main').innerText(), new RegExp(`/${path}`))
  }
  await page.goto(`${server.url}play/`)
  assert.equal(await page.getByRole('heading', { name: 'Nothing here' }).count(), 0)
  assert.deepEqual(errors, [])
})

test('modified clicks, new-tab links and other origins are left to the browser', async () => {
  const { page, errors } = await openPage(browser.context, server.url)
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  await page.evaluate(() => {
    const add = (id, href, attrs = {}) => {
      const a = document.createElement('a')
      a.id = id
      a.href = href
      a.textContent = id
      for (const [k, v] of Object.entries(attrs)) a.setAttribute(k, v)
      document.body.append(a)
    }
    add('blank', '/settings', { target: '_blank' })
    add('elsewhere', 'http://127.0.0.1:9/')
    add('download', '/settings', { download: '' })
    add('inside', '/settings')
    // Records whether the app's handler cancelled each click, then cancels it anyway so the test
    // page stays where it is.
    window.__cancelled = []
    window.addEventListener('click', e => { window.__cancelled.push(e.defaultPrevented); e.preventDefault() })
  })
  for (const id of ['blank', 'elsewhere', 'download']) await page.click(`#${id}`)
  await page.click('#inside', { modifiers: ['Control'] })
  assert.deepEqual(await page.evaluate(() => window.__cancelled), [false, false, false, false])
  await page.evaluate(() => { window.__cancelled = [] })
  await page.click('#inside')
  assert.deepEqual(await page.evaluate(() => window.__cancelled), [true])
  await page.waitForURL(/\/settings$/)
  assert.deepEqual(errors, [])
})
