// The companion's library as a Stremio add-on: `shoal serve` on the demo library publishes
// /manifest.json (checked with npm stremio-addon-linter), a searchable paged catalog, metas and
// streams (the torrent with the companion's tracker, and the HTTP file), all with open CORS.
// The app it serves has the add-on installed from the start: Discover lists the library, a
// detail page lists the streams, and the torrent stream plays from the companion's WebRTC peer.
// A user who removes the add-on keeps it removed; a plain static host installs nothing.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { startCompanion } from '../support/companion-serve.mjs'
import { playsPast, withTimeout } from '../support/player-fixtures.mjs'
import { root, screenshot } from '../support/shoal.mjs'
import { launchWebRtcBrowser } from '../support/tracker.mjs'

const linter = createRequire(import.meta.url)('stremio-addon-linter')
const demo = path.join(root, '.demo')
// Only loopback: no public trackers, no STUN. The streams name the companion's own tracker.
const SETTINGS = JSON.stringify({ trackers: [], ice_servers: [] })

let cache, server, browser, library

/** The add-on's name for a library item: files that differ only in format go by file name. */
const itemName = item => library.filter(i => i.title === item.title).length > 1 ? path.basename(item.path) : item.title

before(async () => {
  cache = mkdtempSync(path.join(tmpdir(), 'shoal-addon-cache-'))
  server = await startCompanion({ dist: path.join(root, 'dist'), library: demo, cache })
  library = (await (await fetch(`${server.url}/api/library`)).json()).items
  browser = await launchWebRtcBrowser()
  await browser.grant(server.url)
})

after(async () => {
  await browser?.close()
  await server?.stop()
  if (cache) rmSync(cache, { recursive: true, force: true })
})

/**
 * Waits for the app's own word that it has settled the companion's add-on: once it has read
 * /api/companion (and installed, or not), it sets `<html data-companion-addon=OUTCOME>`.
 */
async function companionOutcome (page, expected) {
  const marked = page.locator('html[data-companion-addon]')
  await withTimeout(marked.waitFor({ state: 'attached', timeout: 0 }), 30_000, 'the app settling the companion add-on')
  assert.equal(await marked.getAttribute('data-companion-addon'), expected)
}

/** GETs `pathname` from the companion as a page of another site would; checks CORS. */
async function get (pathname, headers = {}) {
  const r = await fetch(server.url + pathname, { headers: { Origin: 'http://elsewhere.example', ...headers } })
  assert.equal(r.headers.get('access-control-allow-origin'), '*', `CORS on ${pathname}`)
  return r
}

const json = async pathname => {
  const r = await get(pathname)
  assert.equal(r.status, 200, pathname)
  return r.json()
}

test('the add-on over HTTP: a valid manifest, catalog, search, meta, streams, CORS', async () => {
  assert.ok(library.length >= 3, 'the demo library is there (scripts/make-demo.sh)')
  const companion = await json('/api/companion')
  assert.equal(companion.addon, `${server.url}/manifest.json`)

  const manifest = await json('/manifest.json')
  const lint = linter.lintManifest(manifest)
  assert.equal(lint.valid, true, lint.errors.map(String).join('; '))
  assert.deepEqual(lint.errors, [])
  assert.deepEqual(lint.warnings, [])
  const collection = linter.lintCollection([{ transportUrl: companion.addon, transportName: 'http', manifest }])
  assert.equal(collection.valid, true, collection.errors.map(String).join('; '))
  assert.equal(manifest.id, 'org.shoal.companion')
  assert.deepEqual(manifest.resources, ['catalog', 'meta', 'stream'])
  assert.deepEqual(manifest.types, ['movie'])
  assert.deepEqual(manifest.idPrefixes, ['shoal:'])
  const catalog = manifest.catalogs[0]
  assert.deepEqual(catalog.extra.map(e => e.name), ['search', 'skip'])

  const { metas } = await json(`/catalog/${catalog.type}/${catalog.id}.json`)
  assert.deepEqual(metas.map(m => m.name), library.map(itemName))
  assert.ok(metas.some(m => m.name === 'shoal-clock-20s.webm'), 'the webm twin has its own name')
  const poster = await get(new URL(metas[0].poster).pathname)
  assert.equal(poster.headers.get('content-type'), 'image/svg+xml')
  assert.match(await poster.text(), /^<svg /)
  assert.deepEqual(metas.map(m => m.id), library.map(i => `shoal:${i.infoHash}`))
  const found = await json(`/catalog/movie/${catalog.id}/search=${encodeURIComponent('CLOCK-60')}.json`)
  assert.deepEqual(found.metas.map(m => m.name), ['shoal-clock-60s'])
  assert.deepEqual((await json(`/catalog/movie/${catalog.id}/skip=100.json`)).metas, [])

  const item = library.find(i => i.title === 'shoal-clock-20s' && i.mime === 'video/mp4')
  const id = encodeURIComponent(`shoal:${item.infoHash}`)
  const { meta } = await json(`/meta/movie/${id}.json`)
  assert.equal(meta.name, 'shoal-clock-20s.mp4')
  assert.equal(meta.type, 'movie')

  const { streams } = await json(`/stream/movie/${id}.json`)
  assert.equal(streams.length, 2)
  const [torrent, http] = streams
  assert.match(torrent.infoHash, /^[0-9a-f]{40}$/)
  assert.equal(torrent.infoHash, item.infoHash)
  assert.equal(torrent.fileIdx, item.fileIndex)
  assert.deepEqual(torrent.sources, [`tracker:${server.url.replace('http://', 'ws://')}/announce`])
  assert.equal(torrent.behaviorHints.videoSize, item.size)
  assert.equal(http.url, item.url)
  assert.equal(http.url, `${server.url}/files/shoal-clock-20s.mp4`)

  // The HTTP stream is the file, with ranges.
  const bytes = readFileSync(path.join(demo, 'shoal-clock-20s.mp4'))
  const part = await fetch(http.url, { headers: { Range: 'bytes=100-1099' } })
  assert.equal(part.status, 206)
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 1100))

  // Unknown things: a JSON 404, or no streams; a preflight is answered.
  const missing = await get(`/meta/movie/${encodeURIComponent('shoal:' + '0'.repeat(40))}.json`)
  assert.equal(missing.status, 404)
  assert.equal(typeof (await missing.json()).err, 'string')
  assert.deepEqual((await json('/stream/movie/tt0111161.json')).streams, [])
  const preflight = await fetch(`${server.url}/manifest.json`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://elsewhere.example', 'Access-Control-Request-Method': 'GET' }
  })
  // What a browser requires of a preflight answer: an ok status (200-299), the origin allowed,
  // and the method allowed.
  assert.ok(preflight.status >= 200 && preflight.status < 300, `preflight status ${preflight.status}`)
  assert.equal(preflight.headers.get('access-control-allow-origin'), '*')
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /\bGET\b/)
})

test('the app has the add-on from the start; Discover, detail, streams, and the torrent plays from the companion', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(server.url + '/')
  // A fresh browser: the app installs the companion's add-on, then says so on <html>.
  await companionOutcome(page, 'installed')
  await page.evaluate(s => localStorage.setItem('shoal.settings', s), SETTINGS)

  const addonName = `Shoal library (${server.url.replace('http://', '')})`
  await page.goto(server.url + '/discover')
  const row = page.locator(`[data-testid=catalog][data-addon="${addonName}"]`)
  await row.locator('[data-testid=poster]').first().waitFor()
  assert.deepEqual(await row.locator('.poster-name').allTextContents(), library.map(itemName))
  // The generated posters load.
  await withTimeout(page.waitForFunction(({ addon, count }) => {
    const images = [...document.querySelectorAll(`[data-testid=catalog][data-addon="${addon}"] img`)]
    return images.length === count && images.every(i => i.complete && i.naturalWidth > 0)
  }, { addon: addonName, count: library.length }, { timeout: 0, polling: 100 }), 30_000, 'the posters loading')
  await screenshot(page, 'companion-addon-discover')

  const item = library.find(i => i.title === 'shoal-clock-20s' && i.mime === 'video/mp4')
  const index = library.indexOf(item)
  await row.locator('[data-testid=poster]').nth(index).click()
  await page.waitForURL(url => url.pathname.startsWith('/detail/movie/'))
  assert.equal(await page.locator('[data-field=meta-name]').textContent(), 'shoal-clock-20s.mp4')
  const group = page.locator(`[data-testid=stream-group][data-addon="${addonName}"]`)
  await group.getByTestId('stream').first().waitFor()
  assert.deepEqual(await group.getByTestId('stream').evaluateAll(rows => rows.map(r => r.dataset.kind)), ['torrent', 'http'])
  const badges = await group.locator('[data-kind=torrent] [data-testid=badge]').allTextContents()
  assert.equal(badges.length, 2, JSON.stringify(badges))
  assert.equal(badges[0], 'Torrent')
  // The size badge states the file's size (to its one decimal).
  const size = /^(\d+\.\d) MiB$/.exec(badges[1])
  assert.ok(size, badges[1])
  assert.ok(Math.abs(Number(size[1]) * (1 << 20) - item.size) <= 0.05 * (1 << 20), `${badges[1]} for ${item.size} bytes`)
  await screenshot(page, 'companion-addon-detail')

  const href = await group.locator('[data-kind=torrent]').getByRole('link', { name: 'Play' }).getAttribute('href')
  const play = new URL(href, server.url)
  assert.equal(play.pathname, '/play')
  assert.equal(play.searchParams.get('file'), String(item.fileIndex))
  const magnet = play.searchParams.get('src')
  assert.ok(magnet.startsWith(`magnet:?xt=urn:btih:${item.infoHash}`), magnet)
  assert.ok(magnet.includes(`tr=${encodeURIComponent(`${server.url.replace('http://', 'ws://')}/announce`)}`), magnet)

  await group.locator('[data-kind=torrent]').getByRole('link', { name: 'Play' }).click()
  await page.waitForURL(url => url.pathname === '/play')
  await playsPast(page, 2, 'playing the library stream')
  const stats = await page.evaluate(() => window.shoal.stats())
  assert.ok(stats.bytes_from_peers > 0, JSON.stringify(stats))
  assert.equal(stats.info_hash, item.infoHash)
  await screenshot(page, 'companion-addon-play')

  // Back on the detail page, now under the Service Worker: the add-on's /stream/movie/… is
  // not the worker's /stream/<hash>/<file>, so it still reaches the companion.
  await page.goBack()
  await group.getByTestId('stream').first().waitFor()
  const underWorker = await page.evaluate(async id => {
    const r = await fetch(`/stream/movie/${encodeURIComponent(id)}.json`)
    return { controlled: navigator.serviceWorker.controller !== null, status: r.status, body: await r.json() }
  }, `shoal:${item.infoHash}`)
  assert.equal(underWorker.controlled, true, 'the page is controlled by the worker')
  assert.equal(underWorker.status, 200)
  assert.equal(underWorker.body.streams[0].infoHash, item.infoHash)

  // Search asks the library's catalog too.
  await page.goto(server.url + '/search?q=clock-60')
  const results = page.locator(`[data-testid=catalog][data-addon="${addonName}"] .poster-name`)
  await results.first().waitFor()
  assert.deepEqual(await results.allTextContents(), ['shoal-clock-60s'])
  assert.deepEqual(errors, [])
  await page.close()
})

test('a removed companion add-on stays removed', async () => {
  const page = await browser.context.newPage()
  const manifestRequests = []
  page.on('request', r => { if (r.url().endsWith('/manifest.json')) manifestRequests.push(r.url()) })
  await page.goto(server.url + '/addons')
  const installed = page.getByTestId('installed-addon')
  await installed.first().waitFor()
  assert.match(await installed.first().locator('[data-field=addon-name]').textContent(), /^Shoal library/)
  await installed.first().getByRole('button', { name: 'Remove' }).click()
  await page.getByText('No add-ons yet.').waitFor()

  // Reload: the app asks the companion again, sees the add-on was offered, and leaves it out.
  await page.reload()
  await companionOutcome(page, 'offered-before')
  await page.getByText('No add-ons yet.').waitFor()
  assert.equal(await installed.count(), 0)
  assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem('shoal.addons.v1'))), [])
  assert.deepEqual(manifestRequests, [], 'the manifest was not fetched to reinstall it')
  await page.close()
})

/**
 * The built app on a plain static host that, like `trunk serve` or most single-page-app hosts,
 * answers every unknown path with index.html: it has no /api/companion JSON.
 */
async function startStaticHost () {
  const dist = path.join(root, 'dist')
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.webmanifest': 'application/manifest+json' }
  const seen = []
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname)
    seen.push(pathname)
    const file = path.join(dist, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''))
    const found = file.startsWith(dist) && existsSync(file) && !file.endsWith(path.sep) && path.extname(file)
    res.setHeader('Content-Type', found ? (types[path.extname(file)] ?? 'application/octet-stream') : 'text/html')
    res.end(readFileSync(found ? file : path.join(dist, 'index.html')))
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${server.address().port}`, seen, stop: () => new Promise(resolve => server.close(resolve)) }
}

test('on a plain static host the app installs no add-on', async () => {
  const host = await startStaticHost()
  const page = await browser.context.newPage()
  try {
    const errors = []
    page.on('pageerror', e => errors.push(e))
    await page.goto(host.url + '/addons')
    // The app has read the host's answer (its own index.html, not the companion's JSON).
    await companionOutcome(page, 'absent')
    await page.getByText('No add-ons yet.').waitFor()
    assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('shoal.addons.v1') ?? '[]')), [])
    assert.ok(host.seen.includes('/api/companion'), 'the app asked')
    assert.ok(!host.seen.some(p => p.endsWith('/manifest.json')), host.seen.join(' '))
    assert.deepEqual(errors, [])
  } finally {
    await page.close()
    await host.stop()
  }
})
