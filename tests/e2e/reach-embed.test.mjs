// <shoal-player> on another site: a page on another origin (another port) loads /embed.js and
// embeds a torrent seeded by a WebTorrent page; the torrent plays in the frame from the peer,
// the host receives ready/play/timeupdate/stats, seek and pause from the host work, and a new
// src attribute switches the frame to another source.
// Messages from a third origin are ignored both ways: fake events posted to the host by a
// third-origin frame are not dispatched, and a Shoal embed framed by a third origin that
// claims to be the host (host=<the host's origin>) ignores that third origin's commands.
// Any other page of the app in a frame shows only a link that opens Shoal in its own tab.
// The host's other controls: `start=` begins playback there, `volume` sets the frame's video
// volume, a video played to its end sends `ended`, and a source that cannot play sends `error`.
import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, test } from 'node:test'
import { makeVideo, startFixtureServer, withTimeout } from '../support/player-fixtures.mjs'
import { screenshot, startServe } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'

let video, short, tracker, serve, fixtures, browser, host, third, magnet, seeder

const SETTINGS = JSON.stringify({ trackers: [], ice_servers: [] })

/** An HTTP server on 127.0.0.1 answering every path with `html(url)`. */
async function pageServer (html) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html(new URL(req.url, 'http://x')))
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise(resolve => { server.closeAllConnections?.(); server.close(resolve) })
  }
}

before(async () => {
  video = makeVideo(20)
  tracker = await startTracker()
  serve = await startServe()
  short = makeVideo(3)
  fixtures = await startFixtureServer({ '/clip.mp4': video.file, '/short.mp4': short.file })
  browser = await launchWebRtcBrowser()
  const shoal = serve.url.replace(/\/$/, '')
  await browser.grant(fixtures.origin)
  await browser.grant(shoal)
  // A third origin: a frame that posts fake player events to its parent and tries commands on
  // every frame of the parent.
  third = await pageServer(url => `<!doctype html>
    <iframe id="shoal" width="320" height="200" allow="autoplay"
      src="${shoal}/embed?autoplay=1&muted=1&src=${encodeURIComponent(url.searchParams.get('src') ?? '')}&host=${encodeURIComponent(url.searchParams.get('claim') ?? '')}"></iframe>
    <script>
    setInterval(() => {
      parent.postMessage({ shoal: 'event', type: 'pause', detail: { currentTime: 0, paused: true } }, '*')
      parent.postMessage({ shoal: 'event', type: 'ended', detail: { currentTime: 0 } }, '*')
      const frame = document.getElementById('shoal').contentWindow
      frame.postMessage({ shoal: 'command', method: 'pause' }, '*')
      frame.postMessage({ shoal: 'command', method: 'seek', value: 0 }, '*')
    }, 200)
  </script>`)
  host = await pageServer(url => `<!doctype html><meta charset="utf-8"><title>Host</title>
    <h1>A blog post with a video</h1>
    <script src="${shoal}/embed.js"></script>
    <shoal-player id="p" style="width:640px" src="${url.searchParams.get('src') ?? ''}" autoplay muted${url.searchParams.has('start') ? ` start="${url.searchParams.get('start')}"` : ''}></shoal-player>
    <iframe id="other" width="300" height="100" src="${shoal}/addons"></iframe>
    ${url.searchParams.has('third') ? `<iframe id="third" width="340" height="220" src="${third.origin}/?claim=${encodeURIComponent(host.origin)}&src=${encodeURIComponent(url.searchParams.get('src'))}"></iframe>` : ''}
    <script>
      window.seen = {}
      window.last = {}
      window.times = []
      const p = document.getElementById('p')
      for (const t of ['ready', 'play', 'pause', 'timeupdate', 'ended', 'error', 'stats']) {
        p.addEventListener(t, e => {
          window.seen[t] = (window.seen[t] || 0) + 1
          window.last[t] = e.detail
          if (t === 'timeupdate') window.times.push(e.detail.currentTime)
        })
      }
    </script>`)

  // Loopback-only settings for the Shoal origin (the frame reads them from its localStorage).
  const setup = await browser.context.newPage()
  await setup.goto(serve.url)
  await setup.evaluate(s => localStorage.setItem('shoal.settings', s), SETTINGS)
  await setup.close()

  seeder = await browser.context.newPage()
  await seeder.goto(fixtures.origin + '/')
  await seeder.waitForFunction(() => typeof window.wt === 'object')
  magnet = await withTimeout(seeder.evaluate(async ({ tracker }) => {
    const bytes = new Uint8Array(await (await fetch('/clip.mp4')).arrayBuffer())
    return window.wt.seed(bytes, 'clip.mp4', { announce: [tracker] })
  }, { tracker: tracker.url }), 30_000, 'seeding')
})

after(async () => {
  await browser?.close()
  for (const s of [host, third, fixtures, serve, tracker]) await s?.stop()
  video?.cleanup()
  short?.cleanup()
})

const seen = (page, type) => page.evaluate(t => window.seen[t] || 0, type)

test('an embed on another origin plays a torrent from a peer and reports to its host', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(`${host.origin}/?third=1&src=${encodeURIComponent(magnet)}`)
  await withTimeout(page.waitForFunction(() => window.seen.ready > 0, null, { timeout: 0 }), 60_000, 'the ready event')
  await withTimeout(page.waitForFunction(() => window.seen.play > 0 && (window.last.timeupdate?.currentTime ?? 0) > 2,
    null, { timeout: 0, polling: 200 }), 90_000, 'playing past 2 s in the frame')
  await withTimeout(page.waitForFunction(() => window.last.stats?.bytesFromPeers > 0, null, { timeout: 0, polling: 200 }), 30_000, 'stats with bytes from peers')
  const stats = await page.evaluate(() => window.last.stats)
  assert.ok(stats.peers >= 0 && stats.bytesFromPeers > 0, JSON.stringify(stats))

  // The third-origin frame's fake pause/ended events never reach the element, and its
  // commands (pause, seek to 0) do not stop playback.
  const fakePauses = await seen(page, 'pause')
  assert.equal(fakePauses, 0, 'no pause event yet: the fake ones were dropped')
  assert.equal(await seen(page, 'ended'), 0)
  const t0 = await page.evaluate(() => window.last.timeupdate.currentTime)
  await withTimeout(page.waitForFunction(t => window.last.timeupdate.currentTime > t + 1.5 && !window.last.timeupdate.paused,
    t0, { timeout: 0, polling: 200 }), 30_000, 'still playing despite the third origin')
  assert.equal(await seen(page, 'pause'), 0)
  // The embed inside the third origin's page plays on, although that page sends it pause and
  // seek-to-0 five times a second while claiming to be the host.
  const lied = page.frames().find(f => f.url().startsWith(serve.url + 'embed') && f.parentFrame()?.url().startsWith(third.origin))
  assert.ok(lied, 'the embed framed by the third origin')
  await withTimeout(lied.waitForFunction(() => {
    const v = document.querySelector('video')
    return v && v.currentTime > 3 && !v.paused
  }, null, { timeout: 0, polling: 200 }), 90_000, 'the third origin\'s embed playing on')

  // Another page of the app, framed by the host, shows only a link out.
  const other = page.frames().find(f => f.url() === serve.url + 'addons')
  await other.getByTestId('framed').waitFor()
  assert.equal(await other.locator('[data-testid=app-nav]').count(), 0)

  // Seek and pause from the host.
  await page.evaluate(() => document.getElementById('p').seek(10))
  await withTimeout(page.waitForFunction(() => window.last.timeupdate.currentTime >= 10, null, { timeout: 0, polling: 100 }), 30_000, 'the seek')
  await page.evaluate(() => document.getElementById('p').pause())
  await withTimeout(page.waitForFunction(() => window.seen.pause > 0 && window.last.pause.paused === true, null, { timeout: 0, polling: 100 }), 30_000, 'the pause')
  assert.equal(await page.evaluate(() => document.getElementById('p').paused), true)
  await screenshot(page, 'reach-embed-host')

  // A new src attribute takes effect: the frame plays the same clip over plain HTTP.
  const plays = await seen(page, 'play')
  await page.evaluate(src => document.getElementById('p').setAttribute('src', src), fixtures.origin + '/clip.mp4')
  await withTimeout(page.waitForFunction(n => window.seen.play > n && window.last.timeupdate.currentTime > 1 && !window.last.timeupdate.paused,
    plays, { timeout: 0, polling: 100 }), 30_000, 'the new source playing')
  const frame = page.frames().find(f => f.url().startsWith(serve.url + 'embed') && f.parentFrame() === page.mainFrame())
  assert.equal(await frame.evaluate(() => document.querySelector('video').currentSrc), fixtures.origin + '/clip.mp4')
  assert.deepEqual(errors, [])
  await page.close()
})

test('start=, volume, ended and error reach the frame and the host', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  const frameOf = () => page.frames().find(f => f.url().startsWith(serve.url + 'embed') && f.parentFrame() === page.mainFrame())

  // start="8": the torrent plays from 8 s; the playhead never runs through the first seconds.
  await page.goto(`${host.origin}/?start=8&src=${encodeURIComponent(magnet)}`)
  await withTimeout(page.waitForFunction(() => window.seen.ready > 0, null, { timeout: 0 }), 60_000, 'the ready event')
  await withTimeout(page.waitForFunction(() => (window.last.timeupdate?.currentTime ?? 0) > 9 && !window.last.timeupdate.paused,
    null, { timeout: 0, polling: 200 }), 90_000, 'playing past 9 s')
  const times = await page.evaluate(() => window.times)
  const early = times.filter(t => t > 0.5 && t < 7.5)
  assert.deepEqual(early, [], `timeupdates before the start time: ${times.join(', ')}`)

  // volume: the frame's <video> takes it, and the host's next events report it.
  assert.equal(await frameOf().evaluate(() => document.querySelector('video').volume), 1)
  await page.evaluate(() => { document.getElementById('p').volume = 0.25 })
  await withTimeout(frameOf().waitForFunction(() => document.querySelector('video').volume === 0.25, null, { timeout: 0, polling: 100 }), 10_000, 'the frame\'s volume')
  await withTimeout(page.waitForFunction(() => document.getElementById('p').volume === 0.25, null, { timeout: 0, polling: 100 }), 10_000, 'the volume reported back')

  // ended: a 3 s clip over HTTP played to its end (a new host page: no start time).
  await page.goto(`${host.origin}/?src=${encodeURIComponent(fixtures.origin + '/short.mp4')}`)
  await withTimeout(page.waitForFunction(() => window.seen.ended > 0, null, { timeout: 0, polling: 100 }), 60_000, 'the ended event')
  const endedAt = await page.evaluate(() => window.last.ended.currentTime)
  assert.ok(endedAt > 2.5, `ended at ${endedAt}`)
  assert.equal(await page.evaluate(() => window.seen.error || 0), 0)

  // error: a video the server does not have, then a link that is no torrent.
  for (const bad of [fixtures.origin + '/missing.mp4', 'magnet:?xt=urn:btih:not-a-hash']) {
    const before = await page.evaluate(() => window.seen.error || 0)
    await page.evaluate(src => document.getElementById('p').setAttribute('src', src), bad)
    await withTimeout(page.waitForFunction(n => (window.seen.error || 0) > n, before, { timeout: 0, polling: 100 }), 30_000, `the error event for ${bad}`)
    const why = await page.evaluate(() => window.last.error)
    assert.equal(typeof why, 'string')
    assert.ok(why.length > 10, why)
  }
  await screenshot(page, 'reach-embed-error')
  assert.deepEqual(errors, [])
  await page.close()
})
