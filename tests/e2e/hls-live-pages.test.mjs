// The app's live pages (issue 13): "Live now" on the home page, /live, and /live/NAME playing a
// channel through Shoal's loader, with the stats panel, the live badge, the distance to the
// live edge, and "the broadcast ended" when the playlist ends.
//
// The broadcaster (`shoal serve --channel`) is built in another branch; here a small node
// server answers the same routes it publishes (docs/hls.md: /api/channels and
// /channels/NAME/...) from an ffmpeg stream with tags computed by tests/support/hls-fixture.mjs,
// and serves the built app (dist/) beside them, so the pages run on one origin as they will.
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, root, screenshot } from '../support/shoal.mjs'
import { makeStream, tagPlaylist } from '../support/hls-fixture.mjs'
import { removeDir } from '../support/addon-fixture.mjs'

const dist = process.env.SHOAL_DIST ?? path.join(root, 'dist')
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml', '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t' }

let server, base, browser, stream, channels

before(async () => {
  stream = makeStream(14)
  tagPlaylist(stream)
  // A live window: the same segments without the VOD type and the end tag.
  const tagged = readFileSync(path.join(stream.dir, 'tagged.m3u8'), 'utf8')
  writeFileSync(path.join(stream.dir, 'index.m3u8'), tagged.replace('#EXT-X-PLAYLIST-TYPE:VOD\n', '').replace('#EXT-X-ENDLIST', ''))
  channels = [
    { name: 'demo', title: 'Demo channel', playlist: '/channels/demo/index.m3u8', state: 'live', viewers: 2 },
    { name: 'old', title: 'Yesterday', playlist: '/channels/old/index.m3u8', state: 'ended', error: 'ffmpeg exited' }
  ]
  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x')
    const send = (status, type, body) => { res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-cache' }); res.end(body) }
    if (url.pathname === '/api/channels') return send(200, 'application/json', JSON.stringify(channels))
    if (url.pathname.startsWith('/api/')) return send(404, 'text/plain', 'not found')
    const m = /^\/channels\/demo\/([\w.-]+)$/.exec(url.pathname)
    const file = m ? path.join(stream.dir, m[1]) : path.join(dist, url.pathname)
    try {
      if (!file.startsWith(m ? stream.dir : dist)) throw new Error('outside')
      return send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', readFileSync(file))
    } catch {
      if (m) return send(404, 'text/plain', 'not found')
      return send(200, 'text/html', readFileSync(path.join(dist, 'index.html'))) // the app's routes
    }
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${server.address().port}`
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  if (server) await new Promise(resolve => { server.closeAllConnections(); server.close(resolve) })
  if (stream) removeDir(stream.dir)
})

test('"Live now" on the home page leads to the channel, which plays verified segments near the live edge', async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(`${base}/`)
  const live = page.getByTestId('live-now')
  await live.waitFor()
  assert.equal(await live.getByTestId('channel').count(), 1, 'only live channels are listed')
  assert.match(await live.textContent(), /Demo channel.*Live · 2 watching/)
  await screenshot(page, 'live-home')
  await live.getByRole('link', { name: 'Watch' }).click()
  await page.waitForURL(/\/live\/demo$/)
  await page.waitForFunction(() => document.querySelector('[data-testid=watch-video]')?.currentTime > 3, null, { timeout: 60_000 })
  assert.match(await page.locator('h1').textContent(), /Live\s*Demo channel/)
  await page.waitForFunction(() => window.shoal.hlsStats().liveDistance > 0)
  const s = await page.evaluate(() => window.shoal.hlsStats())
  assert.equal(s.live, true)
  assert.ok(s.taggedSegments >= 2 && s.recent.every(r => r.delivery === 'httpVerified'), JSON.stringify(s.recent))
  // hls.js's latency: the edge (which ages while this fixed window is not extended) minus
  // the playhead.
  assert.ok(Number.isFinite(s.liveDistance) && s.liveDistance > 0, `live distance ${s.liveDistance}`)
  await page.waitForFunction(() => /behind/.test(document.querySelector('[data-stat=live-distance]')?.textContent))
  // Opened directly (no gesture on the page), the channel still starts playing.
  const direct = await browser.context.newPage()
  await direct.goto(`${base}/live/demo`)
  await direct.waitForFunction(() => {
    const v = document.querySelector('[data-testid=watch-video]')
    return v && !v.paused && v.currentTime > 9
  }, null, { timeout: 60_000 })
  await direct.close()
  // The app plays 3 target durations behind the edge (hls.js's default, see
  // crates/app/src/addons/hls.rs): of this fixed 7-segment window, hls.js loads the last 3.
  await page.waitForFunction(() => /^3 /.test(document.querySelector('[data-stat=segments]')?.textContent))
  await screenshot(page, 'live-channel')

  // The origin ends the broadcast.
  writeFileSync(path.join(stream.dir, 'index.m3u8'), readFileSync(path.join(stream.dir, 'index.m3u8'), 'utf8') + '#EXT-X-ENDLIST\n')
  await page.getByTestId('broadcast-ended').waitFor({ timeout: 30_000 })
  assert.match(await page.locator('h1').textContent(), /Ended/)
  await screenshot(page, 'live-ended')
  assert.deepEqual(errors, [])
  await page.close()
})

test('/live lists every channel, an ended one with its reason', async () => {
  const page = await browser.context.newPage()
  await page.goto(`${base}/live`)
  const list = page.getByTestId('channels')
  await list.waitFor()
  assert.equal(await list.getByTestId('channel').count(), 2)
  assert.match(await list.locator('[data-channel=old]').textContent(), /Ended: ffmpeg exited/)
  await screenshot(page, 'live-list')
  // A listed-as-ended channel says so on its page at once.
  await page.goto(`${base}/live/old`)
  await page.getByTestId('broadcast-ended').waitFor()
  await page.close()
})
