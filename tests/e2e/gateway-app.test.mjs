// The app plays a torrent that only an ordinary TCP swarm has (issue 15, test 3): Debian's
// transmission-daemon seeds a video announced to npm bittorrent-tracker over HTTP (no WebRTC
// peer anywhere); a Stremio add-on built with stremio-addon-sdk answers its stream with
// infoHash + fileIdx and that tracker as a source; the app, served by `shoal serve`, finds no
// WebRTC peer, falls back to the companion's gateway (its default streaming server), gets the
// metadata and the bytes through it, plays the video, and the stats show bytes via the companion.
// The companion seeds what its gateway fetched over WebRTC too (a hybrid peer): the whole
// torrent once complete, and, while the gateway is still downloading, each piece as it arrives.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import sdk from 'stremio-addon-sdk'
import { launchBrowser, root, screenshot, spawnShoal } from '../support/shoal.mjs'
import { makeTorrent, makeVideo, startTracker, startTransmission, waitFor } from '../support/bt-swarm.mjs'
import { buildHarness, openHarnessPage, serveHarness } from '../support/runtime-harness.mjs'
import { launchWebRtcBrowser } from '../support/tracker.mjs'
import { serveWebTorrentPage, withTimeout } from '../support/webtorrent.mjs'

// Loopback only: no public trackers, no STUN.
const LOOPBACK_ONLY = JSON.stringify({ trackers: [], ice_servers: [] })

let dir, tracker, transmission, addon, shoal, browser, video
// The second test's: a WebRTC seeder (`shoal seed`), its add-on and a WebRTC-capable browser;
// the third's browser; the fourth's add-on and browser.
let seeder, rtcAddon, rtcBrowser, rankBrowser, hybridAddon, hybridBrowser
// The fifth's companion (a slow gateway), the runtime harness's page server and browser.
let partialServer, harnessServer, partialBrowser
// The sixth's two extra streaming servers and browser.
let extraServers = [], switchBrowser
let shoalLog = ''

/** A stream add-on: one movie whose stream is the torrent, by infoHash + fileIdx, with `sources`. */
async function startAddon (infoHash, sources) {
  const manifest = {
    id: 'org.shoal.test.tcp', version: '1.0.0', name: 'TCP Swarm Add-on',
    description: 'One movie that only a TCP swarm seeds.',
    resources: ['catalog', 'meta', 'stream'], types: ['movie'], idPrefixes: ['tt'],
    catalogs: [{ type: 'movie', id: 'tcp', name: 'TCP Movies' }]
  }
  const meta = { id: 'tt0777000', type: 'movie', name: 'Test Pattern Over TCP', releaseInfo: '2026' }
  const builder = new sdk.addonBuilder(manifest) // eslint-disable-line new-cap
  builder.defineCatalogHandler(async () => ({ metas: [meta] }))
  builder.defineMetaHandler(async ({ id }) => ({ meta: id === meta.id ? meta : null }))
  builder.defineStreamHandler(async ({ id }) => ({
    streams: id === meta.id
      ? [{ infoHash, fileIdx: 0, name: 'TCP\n360p', title: 'pattern.mp4', sources }]
      : []
  }))
  const router = sdk.getRouter(builder.getInterface())
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
    router(req, res, () => { res.statusCode = 404; res.end() })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/manifest.json`
  return { url, stop: () => new Promise(resolve => { server.closeAllConnections?.(); server.close(resolve) }) }
}

before(async () => {
  // Built before any companion runs: the build blocks this process for a while, and a
  // companion whose log pipe nobody drains meanwhile would stall.
  buildHarness()
  dir = mkdtempSync(path.join(tmpdir(), 'shoal-gateway-app-'))
  for (const d of ['seed', 'tr', 'library', 'gateway', 'cache']) mkdirSync(path.join(dir, d))
  const file = path.join(dir, 'seed', 'pattern.mp4')
  makeVideo(file)
  tracker = await startTracker()
  transmission = await startTransmission(path.join(dir, 'tr'), path.join(dir, 'seed'))
  video = makeTorrent(file, tracker.http, path.join(dir, 'pattern.torrent'))
  transmission.remote('-a', video.torrent, '-w', path.join(dir, 'seed'))
  await transmission.seeding(video.infoHash)
  await waitFor('the tracker listing Transmission', () => tracker.seeders(video.infoHash) >= 1)
  addon = await startAddon(video.infoHash, [`tracker:${tracker.http}`, `dht:${video.infoHash}`])
  const dist = process.env.SHOAL_DIST ?? path.join(root, 'dist')
  shoal = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--library', path.join(dir, 'library'),
    '--cache-dir', path.join(dir, 'cache'), '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(dir, 'gateway'),
    '--no-dht'], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', timeoutMs: 60_000, log: 'info'
  })
  shoal.child.stdout.on('data', d => { shoalLog += d })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await rtcBrowser?.close()
  await rankBrowser?.close()
  await hybridBrowser?.close()
  await partialBrowser?.close()
  await switchBrowser?.close()
  await harnessServer?.close()
  if (partialServer) await partialServer.stop()
  for (const s of extraServers) await s.stop()
  await hybridAddon?.stop()
  if (seeder) await seeder.stop()
  await rtcAddon?.stop()
  if (shoal) await shoal.stop()
  if (shoal && process.env.SHOAL_TEST_LOG) writeFileSync(process.env.SHOAL_TEST_LOG, shoalLog + shoal.stderr())
  await addon?.stop()
  transmission?.kill()
  await tracker?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** A new page of `browser` with the app's `settings` (JSON) set; its uncaught errors collect in `errors`. */
async function openPage (browser, settings) {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.addInitScript(s => localStorage.setItem('shoal.settings', s), settings)
  return { page, errors }
}

/** Installs the add-on at `addonUrl`, opens its movie, plays its torrent stream past 1 s; the stats then. */
async function installAndPlay (page, base, addonUrl) {
  await page.goto(`${base}/addons`)
  await page.getByLabel('Manifest URL').fill(addonUrl)
  await page.getByRole('button', { name: 'Preview' }).click()
  await page.getByTestId('addon-preview').getByRole('button', { name: 'Install' }).click()
  await page.getByTestId('installed-addon').first().waitFor()

  await page.goto(`${base}/detail/movie/tt0777000`)
  const stream = page.locator('[data-testid=stream-group][data-addon="TCP Swarm Add-on"] [data-testid=stream][data-kind=torrent]')
  await stream.waitFor()
  await stream.getByRole('link', { name: 'Play' }).click()
  await page.waitForURL(/\/play\?src=magnet/)
  try {
    await page.waitForFunction(() => {
      const v = document.querySelector('[data-testid=video]')
      return v && v.readyState >= 2 && v.videoWidth === 640
    }, null, { timeout: 120_000 })
  } catch (e) {
    // Say where the page stood (its text, the Service Worker, the stats) and keep a picture.
    const where = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration()
      const sw = { active: r?.active?.state, waiting: r?.waiting?.state, installing: r?.installing?.state, controlled: !!navigator.serviceWorker.controller }
      return { text: document.body.innerText.slice(0, 600), sw, stats: { ...window.shoal?.stats?.(), have: undefined } }
    }).catch(err => ({ unknown: err.message }))
    await screenshot(page, `gateway-stuck-${Date.now()}`).catch(() => {})
    throw new Error(`${e.message}; the page: ${JSON.stringify(where)}`)
  }
  await page.evaluate(() => document.querySelector('[data-testid=video]').play().catch(() => {}))
  await page.waitForFunction(() => document.querySelector('[data-testid=video]').currentTime > 1, null, { timeout: 60_000 })
  return page.evaluate(() => window.shoal.stats())
}

test('an add-on stream seeded only over TCP plays through the companion gateway', async () => {
  const base = shoal.found
  const { page, errors } = await openPage(browser, LOOPBACK_ONLY)

  // The settings offer the companion that served the app as the streaming server.
  await page.goto(`${base}/settings`)
  await page.getByText('Connection settings').click()
  assert.equal(await page.getByTestId('streaming-servers').inputValue(), base)
  assert.equal(await page.getByTestId('gateway-min-peers').inputValue(), '5')
  await screenshot(page, 'gateway-settings')

  // No WebRTC peer exists: after the wait the gateway joins the TCP swarm for the player.
  const stats = await installAndPlay(page, base, addon.url)
  assert.ok(stats.bytes_via_gateway > 0, JSON.stringify({ ...stats, have: undefined }))
  assert.equal(stats.bytes_from_peers, 0, 'no WebRTC peer had it')
  assert.match(stats.gateway, /^via http:\/\/127\.0\.0\.1:\d+$/)
  await page.getByTestId('stats').locator('[data-stat=via-companion]').filter({ hasText: /via http/ }).waitFor()
  await screenshot(page, 'gateway-play')

  // The companion got it from Transmission over TCP.
  const status = await (await fetch(`${base}/api/torrents/${video.infoHash}`)).json()
  assert.ok(status.downloaded > 0, JSON.stringify(status))
  assert.equal(status.trackers[0].state, 'answered')
  assert.deepEqual(errors, [])
})

test('with a WebRTC seeder of the same torrent, the player takes bytes from it', async () => {
  const base = shoal.found
  const wsTracker = `${base.replace('http', 'ws')}/announce`
  // `shoal seed` makes its own torrent of the same file and seeds it over WebRTC, announced to
  // the companion's tracker; Transmission seeds that torrent too, over TCP (its HTTP tracker
  // added), so the gateway can reach it as well.
  const seedCache = path.join(dir, 'seed-cache')
  seeder = await spawnShoal(['seed', '--tracker', wsTracker, '--cache-dir', seedCache, path.join(dir, 'seed', 'pattern.mp4')], {
    ready: /magnet:\?xt=urn:btih:([0-9a-f]{40})/, what: 'shoal seed', timeoutMs: 60_000
  })
  const hash = seeder.found
  const made = readdirSync(seedCache).filter(n => n.endsWith('.torrent'))
  assert.equal(made.length, 1, `one torrent made by shoal seed: ${made}`)
  transmission.remote('-a', path.join(seedCache, made[0]), '-w', path.join(dir, 'seed'))
  transmission.remote('-t', hash, '--tracker-add', tracker.http)
  await transmission.seeding(hash)
  await waitFor('the tracker listing Transmission', () => tracker.seeders(hash) >= 1)
  rtcAddon = await startAddon(hash, [`tracker:${tracker.http}`, `tracker:${wsTracker}`])

  rtcBrowser = await launchWebRtcBrowser()
  await rtcBrowser.grant(base)
  const { page, errors } = await openPage(rtcBrowser, LOOPBACK_ONLY)
  const stats = await installAndPlay(page, base, rtcAddon.url)
  console.log(`with a WebRTC seeder: ${JSON.stringify({ peers: stats.bytes_from_peers, gateway: stats.bytes_via_gateway, webseed: stats.bytes_from_webseed })}`)
  assert.ok(stats.bytes_from_peers > 0, `bytes from the WebRTC seeder: ${JSON.stringify({ ...stats, have: undefined })}`)
  await screenshot(page, 'gateway-play-with-peer')
  assert.deepEqual(errors, [])
})

test('with several streaming servers the app asks each for its health and uses the best', async () => {
  const base = shoal.found
  // Listed first: nothing listens there. The app ranks the servers by their /health answers
  // and round trips, so the companion is asked first and says how it was picked.
  const dead = 'http://127.0.0.1:9'
  rankBrowser = await launchBrowser()
  const settings = JSON.stringify({ trackers: [], ice_servers: [], streaming_servers: [dead, base] })
  const { page, errors } = await openPage(rankBrowser, settings)
  const stats = await installAndPlay(page, base, addon.url)
  assert.ok(stats.bytes_via_gateway > 0, JSON.stringify({ ...stats, have: undefined }))
  const picked = new RegExp(`^via ${base.replace(/[.:/]/g, '\\$&')} \\(best of 2: \\d+ ms round trip, cost \\d+\\)$`)
  console.log(`several servers: ${stats.gateway}`)
  assert.match(stats.gateway, picked)
  assert.deepEqual(errors, [])
})

test('a torrent the gateway completed from TCP peers is seeded to browsers over WebRTC', async () => {
  const base = shoal.found
  const wsTracker = `${base.replace('http', 'ws')}/announce`
  // The first test left the gateway with part of the video: reading it all completes it.
  const whole = await fetch(`${base}/stream/${video.infoHash}/0`)
  assert.equal(whole.status, 200)
  await whole.arrayBuffer()
  await waitFor('the companion seeding the gateway torrent over WebRTC', () =>
    /seeding a gateway torrent to browsers over WebRTC/.test(shoalLog), 60_000)
  // The add-on names the companion's WebSocket tracker: the only WebRTC peer of this info
  // hash is the companion's seeder (the second test's seeder has a torrent of its own).
  hybridAddon = await startAddon(video.infoHash, [`tracker:${tracker.http}`, `tracker:${wsTracker}`])
  hybridBrowser = await launchWebRtcBrowser()
  await hybridBrowser.grant(base)
  const { page, errors } = await openPage(hybridBrowser, LOOPBACK_ONLY)
  const stats = await installAndPlay(page, base, hybridAddon.url)
  console.log(`hybrid: ${JSON.stringify({ peers: stats.bytes_from_peers, gateway: stats.bytes_via_gateway, webseed: stats.bytes_from_webseed })}`)
  assert.ok(stats.bytes_from_peers > 0, `bytes from the companion's WebRTC peer: ${JSON.stringify({ ...stats, have: undefined })}`)
  await screenshot(page, 'gateway-hybrid-play')
  // Removed from the gateway (its piece folder goes): the seeder leaves that swarm too.
  assert.equal((await fetch(`${base}/api/torrents/${video.infoHash}`, { method: 'DELETE' })).status, 204)
  await waitFor('the seeder leaving the removed torrent\'s swarm', () =>
    /no longer seeding over WebRTC: removed.*pattern\.mp4|pattern\.mp4.*no longer seeding over WebRTC: removed/.test(shoalLog.replace(/\x1b\[[0-9;]*m/g, '')), 30_000)
  assert.deepEqual(errors, [])
})

test('a torrent the gateway is still downloading is seeded to browsers over WebRTC as it arrives', async () => {
  // A companion of its own whose gateway fetches slowly (40 KiB/s from Transmission): the
  // video takes it about half a minute, while its WebRTC peer seeds what it has so far.
  for (const d of ['lib-partial', 'gw-partial', 'cache-partial']) mkdirSync(path.join(dir, d))
  let log = ''
  partialServer = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', process.env.SHOAL_DIST ?? path.join(root, 'dist'),
    '--library', path.join(dir, 'lib-partial'), '--cache-dir', path.join(dir, 'cache-partial'),
    '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(dir, 'gw-partial'), '--no-dht',
    '--gateway-max-download-kib', '40'], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve (slow gateway)', timeoutMs: 60_000, log: 'info'
  })
  partialServer.child.stdout.on('data', d => { log += d })
  const base = partialServer.found
  const wsTracker = `${base.replace('http', 'ws')}/announce`
  const status = async () => (await fetch(`${base}/api/torrents/${video.infoHash}`)).json()
  const uploadedOverWebRtc = async () => {
    const text = await (await fetch(`${base}/metrics`)).text()
    return Number(/^shoal_uploaded_bytes_total\{transport="webrtc"\} (\d+)$/m.exec(text)?.[1] ?? 0)
  }
  const magnet = `magnet:?xt=urn:btih:${video.infoHash}&tr=${encodeURIComponent(tracker.http)}`
  const added = await fetch(`${base}/api/torrents`, { method: 'POST', body: magnet })
  assert.ok([200, 201].includes(added.status), `adding the torrent: ${added.status}`)
  await waitFor('the companion seeding the torrent over WebRTC from its metadata on', () =>
    /seeding a gateway torrent to browsers over WebRTC/.test(log), 60_000)
  await waitFor('the gateway verifying a first piece', async () => (await status()).piecesVerified >= 1, 60_000)

  // Shoal's runtime in a page of its own (the engine the player uses, no gateway, no web seed)
  // joins the info hash through the companion's tracker: its only peer is the companion's.
  harnessServer = await serveWebTorrentPage(serveHarness)
  partialBrowser = await launchWebRtcBrowser()
  await partialBrowser.grant(harnessServer.origin)
  const errors = []
  const page = await openHarnessPage(partialBrowser, harnessServer.origin, errors)
  const download = withTimeout(page.evaluate(async ({ magnet, tracker }) => {
    const r = await window.shoalDownload(magnet, tracker)
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', r.bytes))
    const sha256 = [...hash].map(b => b.toString(16).padStart(2, '0')).join('')
    return { length: r.bytes.length, sha256, bytesFromPeers: r.bytesFromPeers, hashFailures: r.hashFailures }
  }, { magnet: `magnet:?xt=urn:btih:${video.infoHash}`, tracker: wsTracker }), 240_000, 'the runtime downloading from the companion')
  download.catch(() => {}) // awaited below; a failure meanwhile must not go unhandled

  // The companion's WebRTC peer sent piece bytes; the gateway's progress, read after that,
  // is still below 100 %, so it was when they were sent.
  await waitFor('the companion sending piece bytes over WebRTC', async () => (await uploadedOverWebRtc()) > 0, 120_000)
  const during = await status()
  console.log(`partial: ${JSON.stringify({ progress: during.progress, verified: during.piecesVerified, total: during.piecesTotal })}`)
  assert.ok(during.progress < 1, `the gateway still downloading: ${JSON.stringify(during)}`)

  // The page gets every byte, all from the companion's WebRTC peer, as the gateway verifies them.
  const got = await download
  const file = readFileSync(path.join(dir, 'seed', 'pattern.mp4'))
  assert.equal(got.length, file.length)
  assert.equal(got.sha256, createHash('sha256').update(file).digest('hex'), 'every byte matches the file')
  assert.ok(got.bytesFromPeers >= file.length, `${got.bytesFromPeers} bytes from peers`)
  assert.equal(got.hashFailures, 0)
  assert.equal((await status()).progress, 1)
  assert.ok(await uploadedOverWebRtc() >= file.length)
  // Complete now: the torrent is not handed to the seeder a second time.
  assert.equal(log.match(/seeding a gateway torrent to browsers over WebRTC/g).length, 1)
  assert.deepEqual(errors, [])
})

test('when the streaming server in use stops answering, the player switches to the next one', async () => {
  const base = shoal.found
  // Two more companions, each with a gateway that downloads slowly (40 KiB/s from Transmission),
  // so the video is still coming when the one in use goes away.
  for (const name of ['b', 'c']) {
    for (const d of [`lib-${name}`, `gw-${name}`, `cache-${name}`]) mkdirSync(path.join(dir, d))
    const server = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', process.env.SHOAL_DIST ?? path.join(root, 'dist'), '--library', path.join(dir, `lib-${name}`),
      '--cache-dir', path.join(dir, `cache-${name}`), '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(dir, `gw-${name}`),
      '--no-dht', '--no-webrtc', '--gateway-max-download-kib', '40'], {
      ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: `shoal serve ${name}`, timeoutMs: 60_000, log: 'warn'
    })
    extraServers.push(server)
  }
  const [b, c] = extraServers.map(s => s.found)
  switchBrowser = await launchBrowser()
  const { page, errors } = await openPage(switchBrowser,
    JSON.stringify({ trackers: [], ice_servers: [], streaming_servers: [b, c] }))
  const stats = await installAndPlay(page, base, addon.url)
  const serving = /^via (http:\/\/127\.0\.0\.1:\d+)/.exec(stats.gateway)?.[1]
  assert.ok(serving === b || serving === c, `one of the two serves: ${stats.gateway}`)
  const other = serving === b ? c : b
  assert.ok(stats.pieces_verified < stats.pieces_total, `still downloading: ${stats.pieces_verified}/${stats.pieces_total}`)
  // The server in use goes away mid-stream.
  await extraServers.find(s => s.found === serving).stop()
  const switched = `via ${other} (switched: ${serving} stopped answering)`
  await page.waitForFunction(s => window.shoal.stats().gateway === s, switched, { timeout: 60_000 })
  const before = (await page.evaluate(() => window.shoal.stats())).bytes_via_gateway
  await page.waitForFunction(() => { const s = window.shoal.stats(); return s.pieces_verified === s.pieces_total }, null, { timeout: 120_000 })
  const after = await page.evaluate(() => window.shoal.stats())
  console.log(`switch: ${JSON.stringify({ serving, other, before, after: after.bytes_via_gateway, gateway: after.gateway })}`)
  assert.ok(after.bytes_via_gateway > before, 'the rest came via the second server')
  await page.getByTestId('stats').locator('[data-stat=via-companion]').filter({ hasText: /switched/ }).waitFor()
  await screenshot(page, 'gateway-switched')
  assert.deepEqual(errors, [])
})
