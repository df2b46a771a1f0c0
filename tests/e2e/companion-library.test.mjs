// The companion's library on the app's home page, as a newcomer meets it: `shoal serve` with no
// --library seeds the built-in demo (.demo, made by scripts/make-demo.sh); the home lists its
// clips with duration and size; Play on the first one plays it from the companion's native
// WebRTC peer. With that peer switched off (--no-webrtc) another clip plays from the /files web
// seed alone. On a host without a companion the home shows no library and no error.
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { playsPast, withTimeout } from '../support/player-fixtures.mjs'
import { root, screenshot, spawnShoal } from '../support/shoal.mjs'
import { launchWebRtcBrowser } from '../support/tracker.mjs'

const demo = path.join(root, '.demo')
const dist = path.join(root, 'dist')
// Only loopback: no public trackers, no STUN (the .torrent names the companion's tracker).
const SETTINGS = JSON.stringify({ trackers: [], ice_servers: [] })

let scratch, browser
const running = new Set()

before(async () => {
  const clips = readdirSync(demo).filter(n => /\.(mp4|webm)$/.test(n))
  assert.ok(clips.length >= 3, `the demo is missing: run scripts/make-demo.sh (found ${clips.join(', ')})`)
  scratch = mkdtempSync(path.join(tmpdir(), 'shoal-library-'))
  browser = await launchWebRtcBrowser()
})

after(async () => {
  await browser?.close()
  for (const stop of running) await stop()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

/** `shoal serve` from the repository root with no --library, so it seeds .demo. */
async function serveDemo (args = []) {
  const proc = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist,
    '--cache-dir', path.join(scratch, 'cache'), ...args], {
    cwd: root, ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve (demo)', timeoutMs: 60_000, killAfterMs: 10_000
  })
  running.add(proc.stop)
  await browser.grant(proc.found)
  return {
    url: proc.found,
    async stop () { running.delete(proc.stop); return proc.stop() }
  }
}

/** A fresh page on `origin`'s home with loopback-only player settings; records page errors. */
async function openHome (origin) {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  // Every 100 ms, the most peers the player's stats ever showed (a finished download may hang up).
  await page.addInitScript(() => {
    window.__mostPeers = 0
    setInterval(() => {
      const s = window.shoal?.stats?.()
      if (s) window.__mostPeers = Math.max(window.__mostPeers, s.peers)
    }, 100)
  })
  await page.goto(origin + '/')
  await page.evaluate(s => localStorage.setItem('shoal.settings', s), SETTINGS)
  await page.reload()
  return { page, errors }
}

/**
 * The running time each demo clip is made with (scripts/make-demo.sh): the listing must report
 * it, read from the container (MP4 `mvhd`, WebM `Info`), to within half a second.
 */
const DEMO_SECONDS = { 'shoal-clock-20s.mp4': 20, 'shoal-clock-60s.mp4': 60, 'shoal-clock-20s.webm': 20 }

/** Bytes from a size as the home shows it ("1.6 MiB"), and how far off its rounding may be. */
function shownBytes (text) {
  const m = /^(\d+(?:\.\d+)?) (B|KiB|MiB|GiB)$/.exec(text)
  assert.ok(m, `a size: ${text}`)
  const unit = { B: 1, KiB: 1 << 10, MiB: 1 << 20, GiB: 1 << 30 }[m[2]]
  const decimals = m[1].split('.')[1]?.length ?? 0
  return { bytes: Number(m[1]) * unit, slack: unit * 0.5 * 10 ** -decimals }
}

/** Seconds from a running time as the home shows it ("0:20", "1:02:03"). */
function shownSeconds (text) {
  assert.match(text, /^\d+(:\d\d){1,2}$/, `a running time: ${text}`)
  return text.split(':').reduce((total, part) => total * 60 + Number(part), 0)
}

test('the home lists the demo, and its first clip plays from the companion\'s WebRTC peer', async () => {
  const server = await serveDemo()
  const listing = (await (await fetch(`${server.url}/api/library`)).json()).items
  assert.equal(listing.length, 3, JSON.stringify(listing))
  const { page, errors } = await openHome(server.url)

  const items = page.getByTestId('library-item')
  await withTimeout(page.getByTestId('library').waitFor(), 30_000, 'the library list')
  assert.equal(await page.getByRole('heading', { name: 'On this server' }).count(), 1)
  assert.equal(await items.count(), 3)
  assert.deepEqual(listing.map(i => i.path).sort(), Object.keys(DEMO_SECONDS).sort())
  for (const [i, item] of listing.entries()) {
    const row = items.nth(i)
    assert.equal(await row.locator('[data-field=title]').textContent(), item.title)
    assert.equal(item.size, statSync(path.join(demo, item.path)).size)
    const size = shownBytes(await row.locator('[data-field=size]').textContent())
    assert.ok(Math.abs(size.bytes - item.size) <= size.slack, `${item.path}: shown ${size.bytes}, is ${item.size}`)
    // Every demo clip has a known running time: the listing must carry it, and the home show it.
    const seconds = DEMO_SECONDS[item.path]
    assert.equal(typeof item.duration, 'number', `${item.path} has a duration: ${JSON.stringify(item)}`)
    assert.ok(Math.abs(item.duration - seconds) <= 0.5, `${item.path}: ${item.duration} s, made ${seconds} s long`)
    const shown = shownSeconds(await row.locator('[data-field=duration]').textContent())
    assert.ok(Math.abs(shown - seconds) <= 1, `${item.path}: the home shows ${shown} s`)
    assert.equal(await row.locator('[data-field=kind]').textContent(), path.extname(item.path).slice(1).toUpperCase())
  }
  assert.equal(await page.locator('.error').count(), 0)
  await screenshot(page, 'companion-library-home')

  // The same list on a phone: nothing scrolls sideways, Play stays on screen.
  await page.setViewportSize({ width: 390, height: 844 })
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth)
  assert.equal(overflow, false, 'no horizontal scrolling at phone width')
  const play = await items.first().getByRole('link', { name: `Play ${listing[0].title}` }).boundingBox()
  assert.ok(play && play.x + play.width <= 390, JSON.stringify(play))
  await screenshot(page, 'companion-library-phone')
  await page.setViewportSize({ width: 1100, height: 900 })

  await items.first().getByRole('link', { name: `Play ${listing[0].title}` }).click()
  await page.waitForURL(url => url.pathname === '/play' &&
    url.searchParams.get('src') === listing[0].torrentUrl && url.searchParams.get('file') === '0')
  await playsPast(page, 2, 'playing the first demo clip')
  await screenshot(page, 'companion-library-playing')
  const s = await page.evaluate(() => window.shoal.stats())
  const mostPeers = await page.evaluate(() => window.__mostPeers)
  assert.equal(s.state, 'playing')
  assert.equal(s.info_hash, listing[0].infoHash)
  assert.equal(s.path, listing[0].path)
  assert.ok(mostPeers >= 1, `the player saw the companion's peer (${mostPeers}): ${JSON.stringify(s)}`)
  assert.ok(s.bytes_from_peers > 0, `bytes came from the WebRTC peer: ${JSON.stringify(s)}`)
  const metrics = await (await fetch(`${server.url}/metrics`)).text()
  const sent = Number(metrics.match(/^shoal_uploaded_bytes_total\{transport="webrtc"\} (\d+)$/m)?.[1] ?? 0)
  assert.ok(sent > 0, `the companion counted what it sent over WebRTC:\n${metrics}`)
  assert.deepEqual(errors, [])
  await page.close()
  assert.equal(await server.stop(), 0)
})

test('with --no-webrtc another clip plays from the web seed alone', async () => {
  const server = await serveDemo(['--no-webrtc'])
  const listing = (await (await fetch(`${server.url}/api/library`)).json()).items
  const { page, errors } = await openHome(server.url)
  const items = page.getByTestId('library-item')
  await withTimeout(page.getByTestId('library').waitFor(), 30_000, 'the library list')
  assert.equal(await items.count(), 3)
  // The whole card is the Play link: a click on its icon plays too.
  const pick = 2
  await items.nth(pick).scrollIntoViewIfNeeded()
  const icon = await items.nth(pick).locator('.library-icon').boundingBox()
  await page.mouse.click(icon.x + icon.width / 2, icon.y + icon.height / 2)
  await page.waitForURL(url => url.pathname === '/play' && url.searchParams.get('src') === listing[pick].torrentUrl)
  await playsPast(page, 2, 'playing from the web seed')
  await screenshot(page, 'companion-library-webseed')
  const s = await page.evaluate(() => window.shoal.stats())
  assert.equal(s.path, listing[pick].path)
  assert.ok(s.bytes_from_http > 0, JSON.stringify(s))
  assert.equal(s.bytes_from_peers, 0, JSON.stringify(s))
  assert.equal(await page.evaluate(() => window.__mostPeers), 0)
  assert.deepEqual(errors, [])
  await page.close()
  assert.equal(await server.stop(), 0)
})

test('without a companion (a static host) the home shows no library and no error', async () => {
  // What a static host or `trunk serve` does: files from dist, index.html for everything else.
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' }
  const server = http.createServer((req, res) => {
    const wanted = path.join(dist, path.normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)))
    let file = wanted.startsWith(dist) ? wanted : path.join(dist, 'index.html')
    try { if (!statSync(file).isFile()) file = path.join(dist, 'index.html') } catch { file = path.join(dist, 'index.html') }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const close = () => new Promise(resolve => { running.delete(close); server.closeAllConnections(); server.close(resolve) })
  running.add(close)
  const origin = `http://127.0.0.1:${server.address().port}`
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(origin + '/')
  await page.getByRole('heading', { name: 'Shoal' }).waitFor()
  // The listing answer (the app's own page) arrives and is set aside: the loading line goes.
  await page.getByTestId('library-loading').waitFor({ state: 'detached' })
  assert.equal(await page.getByTestId('library').count(), 0)
  assert.equal(await page.locator('.error, [role=alert]').count(), 0)
  assert.deepEqual(errors, [])
  await page.close()
  await close()
})
