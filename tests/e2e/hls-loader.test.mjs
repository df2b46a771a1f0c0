// Shoal's HLS loader (issue 13) against streams on a third-party origin: a playlist without
// Shoal tags plays over HTTP with no peer connection at all; a tagged playlist's segments are
// verified against the published hashes (a tag whose info hash does not match leaves its
// segment HTTP-only); verified segments go to the download store and a replay takes them from
// there; a live playlist that ends says "the broadcast ended".
import assert from 'node:assert/strict'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, screenshot } from '../support/shoal.mjs'
import { startHlsApp } from '../support/hls-fixture.mjs'

let world, app, browser, stream, origin, hashes

before(async () => {
  world = await startHlsApp({ corrupt: 'seg-000001.ts' })
  ;({ app, stream, origin, hashes } = world)
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await world?.stop()
})

/** A page that counts the RTCPeerConnections it makes and records uncaught errors. */
async function newPage () {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.addInitScript(() => {
    window.__peerConnections = 0
    const Real = window.RTCPeerConnection
    window.RTCPeerConnection = function (...args) { window.__peerConnections++; return new Real(...args) }
    window.RTCPeerConnection.prototype = Real.prototype
  })
  return { page, errors }
}

async function playFor (page, seconds) {
  await page.waitForFunction(s => {
    const v = document.querySelector('[data-testid=watch-video]')
    return v && v.currentTime > s
  }, seconds, { timeout: 60_000 })
}

const hlsStats = page => page.evaluate(() => window.shoal.hlsStats())

test('(5) a third-party HLS URL without tags plays over HTTP with 0 bytes exchanged with peers', async () => {
  const { page, errors } = await newPage()
  await page.goto(new URL(`/watch?hls=${encodeURIComponent(`${origin.base}/plain.m3u8`)}`, app.url).href)
  await playFor(page, 6)
  const s = await hlsStats(page)
  assert.equal(s.bytesFromPeers, 0)
  assert.equal(s.bytesToPeers, 0)
  assert.equal(s.peers, 0)
  assert.equal(s.taggedSegments, 0)
  assert.ok(s.segments >= 3, `segments ${s.segments}`)
  assert.ok(s.recent.every(r => r.delivery === 'httpUntagged' && r.peerBytes === 0), JSON.stringify(s.recent))
  // Every byte the loader counted came from the origin, segment by segment.
  for (const r of s.recent) {
    assert.equal(r.httpBytes, statSync(path.join(stream.dir, r.name)).size, r.name)
    assert.ok(origin.sent[r.name] >= r.httpBytes, r.name)
  }
  assert.equal(await page.evaluate(() => window.__peerConnections), 0, 'no WebRTC connection was made')
  assert.match(await page.getByTestId('hls-stats').textContent(), /publishes no segment hashes/)
  await screenshot(page, 'hls-untagged')
  assert.deepEqual(errors, [])
  await page.close()
})

test('a tagged stream is verified against its published hashes; a tag that does not match its info hash is ignored', async () => {
  const { page, errors } = await newPage()
  await page.goto(new URL(`/watch?hls=${encodeURIComponent(`${origin.base}/tagged.m3u8`)}`, app.url).href)
  await playFor(page, 6)
  const s = await hlsStats(page)
  assert.equal(s.swarm, 'ab'.repeat(20))
  assert.ok(s.refusedTags >= 1, 'the corrupted tag was refused')
  const by = Object.fromEntries(s.recent.map(r => [r.name, r]))
  assert.equal(by['seg-000000.ts']?.delivery, 'httpVerified')
  assert.equal(by['seg-000001.ts']?.delivery, 'httpUntagged', 'a tag with a wrong info hash makes its segment HTTP-only')
  assert.equal(by['seg-000002.ts']?.delivery, 'httpVerified')
  assert.ok(Object.keys(hashes).length >= 7)
  assert.equal(s.bytesFromPeers, 0)
  await screenshot(page, 'hls-tagged')
  assert.deepEqual(errors, [])
  await page.close()
})

test('a tagged VOD stream replays from the download store, verified, without asking the origin again', async () => {
  const url = new URL(`/watch?hls=${encodeURIComponent(`${origin.base}/tagged.m3u8`)}`, app.url).href
  const first = await newPage()
  await first.page.goto(url)
  await playFor(first.page, 6)
  // The store writes in the background; give it a moment before the page goes.
  await new Promise(resolve => setTimeout(resolve, 2000))
  await first.page.close()
  const sentBefore = origin.sent['seg-000000.ts']
  assert.ok(sentBefore > 0, 'the first play fetched the first segment')

  const { page, errors } = await newPage()
  await page.goto(url)
  await playFor(page, 6)
  const s = await hlsStats(page)
  const by = Object.fromEntries(s.recent.map(r => [r.name, r]))
  assert.equal(by['seg-000000.ts']?.delivery, 'store', JSON.stringify(by['seg-000000.ts']))
  assert.ok(s.bytesFromStore > 0, JSON.stringify(s))
  assert.equal(origin.sent['seg-000000.ts'], sentBefore, 'the origin did not send the stored segment again')
  // A segment whose tag was refused is never stored: it still comes over HTTP.
  assert.equal(by['seg-000001.ts']?.delivery, 'httpUntagged')
  assert.equal(s.bytesFromPeers, 0)
  assert.deepEqual(errors, [])
  await page.close()
})

test('hls.js reads the loader\'s own stats object, filled in place with real times and sizes', async () => {
  const { page, errors } = await newPage()
  // Wrap hls.js as it loads: record every fragment's stats object as hls.js holds it.
  await page.addInitScript(() => {
    window.__frags = []
    let Wrapped
    Object.defineProperty(window, 'Hls', {
      configurable: true,
      get () { return Wrapped },
      set (Real) {
        Wrapped = class extends Real {
          constructor (config) {
            super(config)
            window.__hls = this
            this.on(Real.Events.FRAG_LOADED, (_e, d) => {
              const st = d.frag.stats
              window.__frags.push({
                name: d.frag.relurl, loaded: st.loaded, total: st.total, aborted: st.aborted,
                start: st.loading.start, first: st.loading.first, end: st.loading.end, stats: st
              })
            })
          }
        }
      }
    })
  })
  await page.goto(new URL(`/watch?hls=${encodeURIComponent(`${origin.base}/tagged.m3u8`)}`, app.url).href)
  await playFor(page, 5)
  const frags = await page.evaluate(() => window.__frags.map(({ stats, ...f }) => f))
  assert.ok(frags.length >= 3, JSON.stringify(frags))
  for (const f of frags) {
    const size = statSync(path.join(stream.dir, f.name)).size
    assert.equal(f.loaded, size, `${f.name}: loaded`)
    assert.equal(f.total, size, `${f.name}: total`)
    assert.equal(f.aborted, false)
    assert.ok(f.start > 0 && f.first >= f.start && f.end >= f.first, `${f.name}: times ${f.start} ${f.first} ${f.end}`)
  }
  // hls.js took its bandwidth sample from these stats.
  const bw = await page.evaluate(() => window.__hls.bandwidthEstimate)
  assert.ok(Number.isFinite(bw) && bw > 0, `bandwidth estimate ${bw}`)
  assert.deepEqual(errors, [])
  await page.close()
})

test('abort() cancels the HTTP request, reports onAbort once, and nothing after', async () => {
  const { page, errors } = await newPage()
  await page.addInitScript(() => {
    let Wrapped
    Object.defineProperty(window, 'Hls', {
      configurable: true,
      get () { return Wrapped },
      set (Real) { Wrapped = class extends Real { constructor (c) { super(c); window.__hls = this } } }
    })
  })
  await page.goto(new URL(`/watch?hls=${encodeURIComponent(`${origin.base}/tagged.m3u8`)}`, app.url).href)
  await page.waitForFunction(() => window.__hls && window.shoal.hlsStats()?.segments >= 1)
  // seg-000001's tag is refused, so it always comes over HTTP (never from the download store,
  // which by now holds the verified segments of the earlier tests).
  origin.slow.add('seg-000001.ts')
  // The class hls.js was given, driven by hand on a segment the origin trickles.
  const seen = await page.evaluate(async url => {
    const Loader = window.__hls.config.fLoader
    const loader = new Loader(window.__hls.config)
    const calls = []
    const progressed = new Promise(resolve => {
      loader.load({ url, responseType: 'arraybuffer' }, { timeout: 0 }, {
        onSuccess: () => calls.push('success'),
        onError: () => calls.push('error'),
        onTimeout: () => calls.push('timeout'),
        onAbort: (stats) => calls.push(`abort ${stats === loader.stats}`),
        onProgress: () => {}
      })
      const poll = setInterval(() => { if (loader.stats.loaded > 0) { clearInterval(poll); resolve() } }, 20)
    })
    await progressed
    const loadedAtAbort = loader.stats.loaded
    loader.abort()
    await new Promise(resolve => setTimeout(resolve, 1500))
    return { calls, aborted: loader.stats.aborted, loadedAtAbort, first: loader.stats.loading.first > 0 }
  }, `${origin.base}/seg-000001.ts`)
  origin.slow.delete('seg-000001.ts')
  assert.deepEqual(seen.calls, ['abort true'])
  assert.equal(seen.aborted, true)
  assert.ok(seen.first && seen.loadedAtAbort > 0 && seen.loadedAtAbort < statSync(path.join(stream.dir, 'seg-000001.ts')).size)
  // The origin saw the request go away before its end.
  for (let i = 0; i < 50 && !origin.cut.has('seg-000001.ts'); i++) await new Promise(resolve => setTimeout(resolve, 100))
  assert.ok(origin.cut.has('seg-000001.ts'), 'the HTTP request was cancelled')
  assert.deepEqual(errors, [])
  await page.close()
})

test('a live playlist that gets #EXT-X-ENDLIST says the broadcast ended', async () => {
  // A live window (no ENDLIST) that the "origin" ends while the page plays.
  const full = readFileSync(path.join(stream.dir, 'tagged.m3u8'), 'utf8')
  const live = full.replace('#EXT-X-PLAYLIST-TYPE:VOD\n', '').replace('#EXT-X-ENDLIST', '')
  writeFileSync(path.join(stream.dir, 'live.m3u8'), live)
  const { page, errors } = await newPage()
  await page.goto(new URL(`/watch?hls=${encodeURIComponent(`${origin.base}/live.m3u8`)}`, app.url).href)
  await playFor(page, 1)
  assert.equal(await page.getByTestId('broadcast-ended').count(), 0)
  let s = await hlsStats(page)
  assert.equal(s.live, true)
  assert.equal(s.broadcastEnded, false)
  writeFileSync(path.join(stream.dir, 'live.m3u8'), live + '#EXT-X-ENDLIST\n')
  await page.getByTestId('broadcast-ended').waitFor({ timeout: 30_000 })
  s = await hlsStats(page)
  assert.equal(s.broadcastEnded, true)
  await screenshot(page, 'hls-ended')
  assert.deepEqual(errors, [])
  await page.close()
})
