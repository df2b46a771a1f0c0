// The app's own routing (crates/app/src/route.rs, which replaced leptos_router to shrink the
// player's bundle): links inside the app change the page without loading it again, Back and
// Forward return to the pages and queries they left, deep links open their page, and clicks the
// browser should handle (new tab, another origin) are left to it. And the app's two modules
// (docs/reach.md, "Two modules"): the companion and the Service Worker hand each page to the
// module that shows it, the player module's links to the other pages load the whole app, and
// the whole app stays one page across all of them.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, openPage, root, startServe } from '../support/shoal.mjs'

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
  // The whole app (index.html) shows every page, so it navigates among all of them in place.
  const { page, errors } = await openPage(browser.context, `${server.url}discover`)
  await page.getByRole('heading', { name: 'Discover' }).waitFor()
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
  await page.getByRole('heading', { name: 'Discover' }).waitFor()
  await page.goForward()
  await page.waitForURL(/\/settings$/)
  assert.equal(await page.locator('[data-nav=Settings]').getAttribute('aria-current'), 'page')
  // The home page is the player module's too, but the whole app has it: no load either.
  await page.locator('[data-nav=Home]').click()
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  await page.goBack()
  await page.waitForURL(/\/settings$/)
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
    add('blank', '/play', { target: '_blank' })
    add('elsewhere', 'http://127.0.0.1:9/')
    add('download', '/play', { download: '' })
    add('inside', '/play')
    // A page the player module (the home page's) leaves out: the whole app loads there.
    add('other-module', '/settings')
    // Records whether the app's handler cancelled each click, then cancels it anyway so the test
    // page stays where it is.
    window.__cancelled = []
    window.addEventListener('click', e => { window.__cancelled.push(e.defaultPrevented); e.preventDefault() })
  })
  for (const id of ['blank', 'elsewhere', 'download']) await page.click(`#${id}`)
  await page.click('#inside', { modifiers: ['Control'] })
  await page.click('#other-module')
  assert.deepEqual(await page.evaluate(() => window.__cancelled), [false, false, false, false, false])
  await page.evaluate(() => { window.__cancelled = [] })
  await page.click('#inside')
  assert.deepEqual(await page.evaluate(() => window.__cancelled), [true])
  await page.waitForURL(/\/play$/)
  assert.deepEqual(errors, [])
})

// The wasm a page instantiated, as the page's own resource timing names it.
const wasmOf = page => page.evaluate(() =>
  performance.getEntriesByType('resource').map(e => new URL(e.name).pathname).filter(p => p.endsWith('_bg.wasm')))
const wasmIn = html => html.match(/module_or_path: '(\/[^']+_bg\.wasm)'/)[1]

test('each page comes with the module that shows it, from the companion and from the Service Worker', async () => {
  const dist = path.join(root, 'dist')
  const player = readFileSync(path.join(dist, 'player.html'), 'utf8')
  const whole = readFileSync(path.join(dist, 'index.html'), 'utf8')
  assert.notEqual(wasmIn(player), wasmIn(whole), 'two modules were built')
  // The Service Worker's list of the player module's pages, as the built sw.js has it.
  const sw = readFileSync(path.join(dist, 'sw.js'), 'utf8')
  const playerPages = new RegExp(sw.match(/^const PLAYER_PAGES = \/(.*)\/$/m)[1])
  const paths = {
    player: ['/', '/play', '/play/', '/watch', '/embed', '/live/news', '/live/news/'],
    whole: ['/discover', '/search', '/addons', '/settings', '/downloads', '/live', '/live/',
      '/detail/movie/tt1', '/streams/movie/tt1', '/live/a/b', '/play/x', '/nowhere']
  }
  for (const [module, list] of Object.entries(paths)) {
    for (const p of list) {
      const body = await (await fetch(new URL(p, server.url))).text()
      assert.equal(body, module === 'player' ? player : whole, `the companion's page for ${p}`)
      assert.equal(playerPages.test(p), module === 'player', `the Service Worker's page for ${p}`)
    }
  }

  // The player module's home page; its link to Settings loads the whole app there; Back
  // returns to the player module's page. Then the same through the Service Worker's shell.
  const { page, errors } = await openPage(browser.context, server.url)
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  assert.deepEqual(await wasmOf(page), [wasmIn(player)])
  await page.evaluate(() => navigator.serviceWorker.ready)
  await mark(page)
  await page.locator('[data-nav=Settings]').click()
  await page.getByRole('heading', { name: 'Settings' }).waitFor()
  assert.equal(await sameDocument(page), false, 'the whole app was loaded')
  assert.deepEqual(await wasmOf(page), [wasmIn(whole)])
  assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the worker controls the page')
  const search = page.getByLabel('Search add-ons')
  await search.fill('grass')
  await search.press('Enter')
  await page.getByRole('heading', { name: 'Results for “grass”' }).waitFor()
  await page.goBack()
  await page.goBack()
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  assert.deepEqual(await wasmOf(page), [wasmIn(player)])
  // From the player module's page, the search box loads the whole app's search page.
  await page.getByLabel('Search add-ons').fill('leaves')
  await page.getByLabel('Search add-ons').press('Enter')
  await page.getByRole('heading', { name: 'Results for “leaves”' }).waitFor()
  assert.deepEqual(await wasmOf(page), [wasmIn(whole)])
  assert.deepEqual(errors, [])
})
