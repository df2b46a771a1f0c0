// The core end-to-end paths in a second engine: Debian's firefox-esr driven through
// geckodriver with selenium-webdriver. The home page renders its shell; a torrent seeded by a
// WebTorrent page in Chromium plays in Shoal's player in Firefox with bytes from that peer
// (WebRTC across the two engines, over loopback); an add-on's HTTP stream plays from its
// detail page.
//
// Firefox hides host ICE candidates behind mDNS names and ignores loopback by default; the
// profile turns both off (media.peerconnection.ice.*), the way the Chromium tests pass
// --allow-loopback-in-peer-connection.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { Builder, By, until } from 'selenium-webdriver'
import firefox from 'selenium-webdriver/firefox.js'
import { makeClip, removeDir, startGoodAddon } from '../support/addon-fixture.mjs'
import { makeVideo, startFixtureServer } from '../support/player-fixtures.mjs'
import { mkdirSync, writeFileSync } from 'node:fs'
import { resultsDir, root, spawnShoal } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'

const GECKODRIVER = process.env.GECKODRIVER ?? [path.join(homedir(), '.cargo/bin/geckodriver'), '/usr/local/bin/geckodriver', '/usr/bin/geckodriver'].find(existsSync)
const FIREFOX = process.env.FIREFOX ?? '/usr/bin/firefox-esr'
const SETTINGS = JSON.stringify({ trackers: [], ice_servers: [] })

let driver, serve, tracker, fixtures, video, good, clip, emptyLibrary, chromium

before(async () => {
  video = makeVideo(12)
  clip = makeClip()
  good = await startGoodAddon(clip.file)
  tracker = await startTracker()
  fixtures = await startFixtureServer({ '/test-pattern.mp4': video.file })
  emptyLibrary = mkdtempSync(path.join(tmpdir(), 'shoal-empty-library-'))
  const proc = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', path.join(root, 'dist'), '--library', emptyLibrary], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+\/)/, what: 'shoal serve', killAfterMs: 5_000
  })
  serve = { url: proc.found, stop: proc.stop }
  const options = new firefox.Options()
    .addArguments('-headless')
    .setBinary(FIREFOX)
    .setPreference('media.peerconnection.ice.loopback', true)
    .setPreference('media.peerconnection.ice.obfuscate_host_addresses', false)
    .setPreference('media.navigator.permission.disabled', true)
    .setPreference('media.autoplay.default', 0)
    .setPreference('media.autoplay.blocking_policy', 0)
  driver = await new Builder()
    .forBrowser('firefox')
    .setFirefoxOptions(options)
    .setFirefoxService(new firefox.ServiceBuilder(GECKODRIVER))
    .build()
})

after(async () => {
  await driver?.quit()
  await chromium?.close()
  await serve?.stop()
  await fixtures?.stop()
  await tracker?.stop()
  await good?.stop()
  video?.cleanup()
  if (clip) removeDir(clip.dir)
  if (emptyLibrary) removeDir(emptyLibrary)
})

async function shot (name) {
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(path.join(resultsDir, `${name}.png`), await driver.takeScreenshot(), 'base64')
}

/** Waits until `fn` (a page function returning a value) is truthy; returns that value. */
function waitInPage (fn, arg, ms, what) {
  return driver.wait(async () => driver.executeScript(`return (${fn})(arguments[0])`, arg), ms, what)
}

test('firefox: the home page renders the shell', async () => {
  await driver.get(serve.url)
  await driver.wait(until.elementLocated(By.css('[data-testid=app-nav]')), 60_000, 'the navigation bar')
  const heading = await driver.findElement(By.css('h1')).getText()
  assert.equal(heading, 'Shoal')
  const links = await driver.findElements(By.css('[data-testid=app-nav] a[data-nav]'))
  assert.deepEqual(await Promise.all(links.map(l => l.getText())), ['Home', 'Discover', 'Live', 'Downloads', 'Add-ons', 'Settings'])
  await shot('reach-firefox-home')
})

test('firefox: a torrent from a WebTorrent peer in Chromium plays with bytes from peers', async () => {
  await driver.executeScript('localStorage.setItem("shoal.settings", arguments[0])', SETTINGS)
  chromium = await launchWebRtcBrowser()
  await chromium.grant(fixtures.origin)
  const seeder = await chromium.context.newPage()
  await seeder.goto(fixtures.origin + '/')
  await seeder.waitForFunction(() => typeof window.wt === 'object')
  const magnet = await seeder.evaluate(async tracker => {
    const bytes = new Uint8Array(await (await fetch('/test-pattern.mp4')).arrayBuffer())
    return window.wt.seed(bytes, 'test-pattern.mp4', { announce: [tracker] })
  }, tracker.url)
  assert.match(magnet, /^magnet:/)
  await driver.get(`${serve.url}play?src=${encodeURIComponent(magnet)}`)
  try {
    await waitInPage(() => {
      const v = document.querySelector('video')
      const s = window.shoal && window.shoal.stats()
      return v && v.currentTime > 2 && s && s.bytes_from_peers > 0
    }, null, 90_000, 'playing past 2 s from the peer')
  } catch (e) {
    // What the page and its Service Worker were doing, for the failure message.
    const state = await driver.executeAsyncScript(`const done = arguments[0]
      navigator.serviceWorker.getRegistration().then(r => done({
        status: document.querySelector('[data-testid=player]')?.textContent.slice(0, 300),
        controller: !!navigator.serviceWorker.controller,
        worker: r && { installing: !!r.installing, waiting: !!r.waiting, active: r.active && r.active.state },
        stats: window.shoal && window.shoal.stats()
      }), e => done(String(e)))`)
    throw new Error(`${e.message}: ${JSON.stringify(state)}`)
  } finally {
    await shot('reach-firefox-peer')
  }
  const s = await driver.executeScript('return window.shoal.stats()')
  assert.ok(s.bytes_from_peers > 0, JSON.stringify({ peers: s.peers, from_peers: s.bytes_from_peers, trackers: s.trackers }))
  assert.equal(s.bytes_from_http, 0)
  await seeder.close()
})

test('firefox: an add-on stream plays from the title page', async () => {
  await driver.get(`${serve.url}addons?install=${encodeURIComponent(good.url)}`)
  const install = await driver.wait(until.elementLocated(By.css('[data-testid=addon-preview] button')), 30_000, 'the preview')
  // The preview's first button is Install.
  assert.equal(await install.getText(), 'Install')
  await install.click()
  await driver.wait(until.elementLocated(By.css('[data-testid=installed-addon]')), 30_000, 'the installed add-on')
  await driver.get(`${serve.url}detail/movie/tt0001000`)
  const play = await driver.wait(until.elementLocated(By.css('[data-testid=stream][data-kind=http] a')), 30_000, 'the HTTP stream')
  await play.click()
  await waitInPage(() => {
    const v = document.querySelector('video')
    return v && v.currentTime > 0.5
  }, null, 30_000, 'the add-on stream playing')
  await shot('reach-firefox-addon')
})
