// Shoal as an installable app: Chromium reports no installability errors and the manifest's
// icons are PNGs of the sizes it states; offline, a reload still renders the shell (from the
// Service Worker's precache) and says what still works; a new deployment is offered as an
// update, and applied (new index.html, old cache gone) only when the viewer presses Reload.
import assert from 'node:assert/strict'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, openPage, root, runTool, screenshot, spawnShoal } from '../support/shoal.mjs'

let server, browser, dist

/** `shoal serve` of a copy of dist/, so a test can deploy a "new build" into it. */
before(async () => {
  dist = mkdtempSync(path.join(tmpdir(), 'shoal-dist-'))
  cpSync(path.join(root, 'dist'), dist, { recursive: true })
  const proc = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+\/)/, what: 'shoal serve', killAfterMs: 5_000
  })
  server = { url: proc.found, stop: proc.stop }
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await server?.stop()
  if (dist) rmSync(dist, { recursive: true, force: true })
})

/** Width and height from a PNG's IHDR chunk. */
function pngSize (bytes) {
  assert.equal(bytes.subarray(1, 4).toString('latin1'), 'PNG', 'a PNG signature')
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) }
}

/** Resolves once the page is controlled by a worker whose shell cache is complete. */
async function shellReady (page) {
  await page.waitForFunction(async () => {
    if (!navigator.serviceWorker.controller) return false
    const keys = await caches.keys()
    return keys.some(k => k.startsWith('shoal-shell-'))
  }, null, { timeout: 60_000, polling: 250 })
}

test('installable: no installability errors, icons at their stated sizes', async () => {
  const { page, errors } = await openPage(browser.context, server.url)
  await page.getByTestId('app-nav').waitFor()
  await shellReady(page)
  const cdp = await page.context().newCDPSession(page)
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors')
  assert.deepEqual(installabilityErrors, [])

  const manifest = await (await fetch(new URL('/manifest.webmanifest', server.url))).json()
  assert.equal(manifest.display, 'standalone')
  assert.deepEqual(manifest.shortcuts.map(s => s.url), ['/discover', '/downloads'])
  const pngs = manifest.icons.filter(i => i.type === 'image/png')
  assert.deepEqual([...new Set(pngs.map(i => i.sizes))].sort(), ['192x192', '512x512'])
  assert.ok(pngs.some(i => i.purpose === 'maskable'), 'a maskable icon')
  for (const icon of pngs) {
    const res = await fetch(new URL(icon.src, server.url))
    assert.equal(res.status, 200, icon.src)
    const { width, height } = pngSize(Buffer.from(await res.arrayBuffer()))
    assert.equal(`${width}x${height}`, icon.sizes, icon.src)
  }
  assert.deepEqual(errors, [])
  await page.close()
})

/**
 * Waits for the page's "new version" line; when it does not come, fails with what the page's
 * worker registration holds and which build the server sends, so a failure says where the
 * update stopped.
 */
async function updateOffered (page, what) {
  try {
    await page.getByTestId('update').waitFor({ timeout: 60_000 })
  } catch (e) {
    const state = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration()
      const w = x => x && `${x.state} ${x.scriptURL}`
      const line = (await (await fetch('/sw.js', { cache: 'no-store' })).text()).split('\n')[0]
      return {
        controller: w(navigator.serviceWorker.controller),
        installing: w(r?.installing),
        waiting: w(r?.waiting),
        active: w(r?.active),
        served: line.slice(0, 60)
      }
    }).catch(err => String(err))
    assert.fail(`${what}: no update line (${e.message.split('\n')[0]}); ${JSON.stringify(state)}`)
  }
}

test('a new deployment is offered, and applied only on Reload', async () => {
  // `open`: a tab that was running before the deployment.
  const open = await openPage(browser.context, server.url)
  await open.page.getByTestId('app-nav').waitFor()
  await shellReady(open.page)
  const before = await open.page.evaluate(() => caches.keys())

  // "Deploy" a new build: other pages (the whole app's index.html and the player module's
  // player.html, which `/` is), then the precache line and the precompressed copies rewritten
  // by the same post_build scripts Trunk runs (the companion sends the `.br` copy of a file
  // when there is one, so stale copies would still be the old build).
  for (const name of ['index.html', 'player.html']) {
    const file = path.join(dist, name)
    writeFileSync(file, readFileSync(file, 'utf8').replace('<head>', '<head><meta name="shoal-build" content="two">'))
  }
  for (const script of ['precache.mjs', 'precompress.mjs']) {
    const r = runTool('node', [path.join(root, 'scripts', script), dist])
    assert.equal(r.status, 0, r.stderr)
  }

  // A tab opened now checks for an update before any of the app's code runs (as a browser may
  // on navigation): the app finds the new worker installing or already waiting when it
  // registers, and offers it either way.
  const page = await browser.context.newPage()
  await page.addInitScript(() => {
    navigator.serviceWorker.getRegistration().then(r => r && r.update()).catch(() => {})
  })
  await page.goto(server.url)
  await updateOffered(page, 'the tab opened after the deployment')
  // The tab that was open already is told too (its app listens for found updates).
  await updateOffered(open.page, 'the tab open before the deployment')
  await open.page.close()
  // Still the old build until the viewer says so, even across a reload.
  await page.reload()
  await page.getByTestId('app-nav').waitFor()
  assert.equal(await page.locator('meta[name=shoal-build]').count(), 0, 'the old build stays until Reload')
  await page.getByTestId('update-reload').click()
  await page.waitForFunction(() => document.querySelector('meta[name=shoal-build]')?.content === 'two', null, { timeout: 60_000 })
  await page.getByTestId('app-nav').waitFor()
  const afterKeys = await page.evaluate(() => caches.keys())
  const shells = afterKeys.filter(k => k.startsWith('shoal-shell-'))
  assert.equal(shells.length, 1, `one shell cache left: ${afterKeys}`)
  assert.ok(!before.includes(shells[0]), 'the new version has its own cache')
  await page.close()
})

// Last: it stops the server. Chromium's emulated offline mode fails navigations before a
// Service Worker sees them, so the server really goes away (every request fails), and the
// emulation only sets navigator.onLine to false.
test('offline: a reload renders the shell and says what still works', async () => {
  const { page } = await openPage(browser.context, server.url + 'discover')
  await page.getByTestId('app-nav').waitFor()
  await shellReady(page)
  await server.stop()
  await browser.context.setOffline(true)
  try {
    await page.evaluate(() => location.reload())
    await page.waitForFunction(() => document.readyState === 'complete')
    await page.getByTestId('app-nav').waitFor()
    const offline = page.getByTestId('offline')
    await offline.waitFor()
    assert.match(await offline.textContent(), /Downloads.*still play/)
    assert.equal(await page.getByRole('heading', { name: 'Discover' }).count(), 1)
    await screenshot(page, 'reach-offline')
  } finally {
    await browser.context.setOffline(false)
  }
  await page.close()
})
