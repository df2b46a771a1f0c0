// The download store (IndexedDB) end to end in Chromium: a video played to the end plays
// again after a reload with no byte from peers or HTTP and is listed on /downloads; after the
// reload the page seeds it to a WebTorrent 3 page that has no other source; with a 20 MiB
// limit, three 12 MiB videos leave the latest and evict the oldest; an entry damaged through
// the test hook is caught on reading, dropped and fetched again; a bare magnet of a stored
// video plays without peers (its info dict is kept); a file larger than the
// in-memory window plays and seeks while the store holds it; entries past the expiry (time
// injected) are gone at start; two tabs storing the same torrent leave one readable copy. Every describe gets its own browser profile (its own store).
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { makeVideo, playsPast, withTimeout } from '../support/player-fixtures.mjs'
import { screenshot } from '../support/shoal.mjs'
import { downloads, playToEnd, stats, storedWhole, world } from '../support/store-world.mjs'
import { startTracker } from '../support/tracker.mjs'
import { openWebTorrentPage } from '../support/webtorrent.mjs'

const MiB = 1024 * 1024

const hashOf = magnet => /btih:([0-9a-f]{40})/i.exec(magnet)[1].toLowerCase()

describe('replay from the store, and seeding what it holds', () => {
  let w, tracker, video, torrent, page, errors

  before(async () => {
    tracker = await startTracker()
    w = await world()
    video = makeVideo(12)
    torrent = w.addVideo(video, 'replay.mp4', { announce: [tracker.url] })
  })

  after(async () => {
    await w?.stop()
    await tracker?.stop()
    video?.cleanup()
  })

  test('played to the end, reloaded: plays again with 0 bytes from peers and HTTP, hit rate 100 %', async () => {
    ;({ page, errors } = await w.open(`/play?src=${encodeURIComponent(torrent.url)}`))
    await playToEnd(page, 'first play')
    await storedWhole(page, video.bytes.length, 'storing the whole video')
    const first = await stats(page)
    assert.ok(first.bytes_from_http >= video.bytes.length, JSON.stringify(first))
    const served = w.fixtures.sent[torrent.path]

    await page.reload()
    await playToEnd(page, 'replay')
    const s = await stats(page)
    await screenshot(page, 'store-replay')
    assert.equal(s.bytes_from_peers, 0, 'no byte from peers')
    assert.equal(s.bytes_from_http, 0, 'no byte from HTTP')
    assert.equal(w.fixtures.sent[torrent.path], served, 'the web seed served nothing more')
    assert.equal(s.pieces_verified, s.pieces_total, 'every stored piece known at once')
    assert.ok(s.bytes_from_cache > 0, JSON.stringify(s))
    assert.equal(s.cache_hit_rate, 1, 'hit rate 100 %')
    assert.match(await page.locator('[data-stat=from-cache]').textContent(), / \(100 %\)$/)

    await page.goto(w.base + '/downloads')
    const rows = await downloads(page)
    await screenshot(page, 'store-downloads')
    assert.equal(rows.length, 1, JSON.stringify(rows))
    assert.equal(rows[0].hash, hashOf(torrent.magnet))
    assert.equal(rows[0].title, 'test-pattern.mp4')
    assert.equal(rows[0].percent, '100 %')
    const [stored, total] = rows[0].stored.split(' / ')
    assert.equal(stored, total, rows[0].stored)
    assert.deepEqual(errors, [])
  })

  test('a bare magnet of the stored video plays from the store: no metadata from peers, no network', async () => {
    const bare = `magnet:?xt=urn:btih:${hashOf(torrent.magnet)}`
    ;({ page, errors } = await w.open(`/play?src=${encodeURIComponent(bare)}`))
    await playToEnd(page, 'playing a bare magnet from the store')
    const s = await stats(page)
    assert.equal(s.bytes_from_peers + s.bytes_from_http, 0, JSON.stringify(s))
    assert.equal(s.cache_hit_rate, 1)
    assert.equal(s.path, 'test-pattern.mp4')
    await page.close()
    assert.deepEqual(errors, [])
  })

  test('after a reload the page seeds the stored video to a WebTorrent page with no other source', async () => {
    ;({ page, errors } = await w.open(`/play?src=${encodeURIComponent(torrent.url)}`))
    await playsPast(page, 1, 'playing from the store')
    const wtErrors = []
    const leecher = await openWebTorrentPage(w.browser, w.fixtures.origin + '/', wtErrors)
    // The magnet names only the tracker: no web seed, so every byte comes from Shoal.
    const magnet = `magnet:?xt=urn:btih:${hashOf(torrent.magnet)}&tr=${encodeURIComponent(tracker.url)}`
    const got = await withTimeout(leecher.evaluate(m => window.wt.download(m, { destroy: true }), magnet), 120_000, 'WebTorrent downloading from the store')
    assert.equal(got.length, video.bytes.length)
    assert.equal(got.digest, createHash('sha256').update(video.bytes).digest('hex'), 'SHA-256 equal')
    // Its peer may have hung up already (two seeds have nothing to trade); it had no web seed.
    assert.ok(!got.wires.includes('webSeed'), JSON.stringify(got.wires))
    assert.ok(got.received >= video.bytes.length, `received ${got.received}`)
    const s = await stats(page)
    assert.ok(s.uploaded >= video.bytes.length, `uploaded ${s.uploaded}`)
    assert.equal(s.bytes_from_http + s.bytes_from_peers, 0)
    await leecher.close()
    assert.deepEqual(wtErrors, [])
    assert.deepEqual(errors, [])
  })
})

describe('eviction within the limit, and damaged entries', () => {
  let w
  const videos = []

  before(async () => {
    w = await world()
    // About 12 MiB each; different lengths, so different torrents.
    for (const [i, seconds] of [33, 34, 35].entries()) {
      const v = makeVideo(seconds, { bitrate: '3M' })
      videos.push({ video: v, torrent: w.addVideo(v, `v${i}.mp4`, { pieceLength: 256 * 1024 }) })
    }
  })

  after(async () => {
    await w?.stop()
    for (const v of videos) v.video.cleanup()
  })

  test('a 20 MiB limit keeps the latest of three 12 MiB videos and evicts the oldest', async () => {
    for (const { video, torrent } of videos) {
      assert.ok(video.bytes.length > 10 * MiB && video.bytes.length < 14 * MiB, `${video.bytes.length} bytes`)
      const { page, errors } = await w.open(`/play?src=${encodeURIComponent(torrent.url)}`, { store_limit_mib: 20 })
      await storedWhole(page, video.bytes.length, `storing ${torrent.path}`)
      const s = await stats(page)
      assert.ok(s.store_bytes <= 20 * MiB, `store ${s.store_bytes} within the limit`)
      assert.equal(s.store_limit_bytes, 20 * MiB)
      await page.close()
      assert.deepEqual(errors, [])
    }
    const { page } = await w.open('/downloads', { store_limit_mib: 20 })
    const rows = await downloads(page)
    await screenshot(page, 'store-eviction')
    const hashes = rows.map(r => r.hash)
    assert.ok(hashes.includes(hashOf(videos[2].torrent.magnet)), 'the most recent is kept')
    assert.ok(!hashes.includes(hashOf(videos[0].torrent.magnet)), 'the oldest is evicted')
    assert.equal(rows.find(r => r.hash === hashOf(videos[2].torrent.magnet)).percent, '100 %')
    await page.close()
  })

  test('a damaged entry is caught on reading, dropped and fetched again', async () => {
    const { video, torrent } = videos[2]
    const hash = hashOf(torrent.magnet)
    const { page, errors } = await w.open('/downloads', { store_limit_mib: 20 })
    await downloads(page)
    assert.equal(await page.evaluate(([h]) => window.shoal.storeCorrupt(h, 3, 262144), [hash]), true)
    const before = w.fixtures.sent[torrent.path]
    await page.goto(`${w.base}/play?src=${encodeURIComponent(torrent.url)}`)
    await playToEnd(page, 'playing over a damaged entry')
    await storedWhole(page, video.bytes.length, 'stored again')
    const s = await stats(page)
    assert.ok(s.store_misses >= 1, `the damaged piece was caught: ${JSON.stringify(s)}`)
    assert.ok(s.bytes_from_http >= 262144 && s.bytes_from_http < video.bytes.length, `re-fetched ${s.bytes_from_http} bytes`)
    assert.ok(w.fixtures.sent[torrent.path] > before, 'the web seed sent it again')
    assert.equal(s.pieces_verified, s.pieces_total)
    assert.deepEqual(errors, [])
    await page.close()
  })
})

describe('a file larger than the memory window', () => {
  let w, video, torrent

  before(async () => {
    w = await world()
    // About 250 MiB (16 Mbit/s of noise for 130 s), in 1 MiB pieces.
    video = makeVideo(130, { bitrate: '16M' })
    torrent = w.addVideo(video, 'large.mp4', { pieceLength: MiB })
  })

  after(async () => {
    await w?.stop()
    video?.cleanup()
  })

  test('plays and seeks with 8 MiB of pieces in memory while the store holds the rest', async () => {
    assert.ok(video.bytes.length > 200 * MiB, `${video.bytes.length} bytes`)
    const { page, errors } = await w.open(`/play?src=${encodeURIComponent(torrent.url)}`, { memory_window_mib: 8 })
    await playsPast(page, 2, 'playing the large video')
    const duration = await page.evaluate(() => document.querySelector('video').duration)
    await page.evaluate(t => { document.querySelector('video').currentTime = t }, duration * 0.8)
    await playsPast(page, duration * 0.8 + 1, 'playing after a seek to 80 %')
    // Well past the memory window stored; then a reload (memory and the media element's
    // buffer empty) and a seek into what was stored: it comes back from the store.
    await withTimeout(page.waitForFunction(n => (window.shoal.stats()?.store_bytes ?? 0) >= n, 48 * MiB, { timeout: 0, polling: 500 }), 180_000, 'storing 48 MiB')
    await page.reload()
    await playsPast(page, 1, 'playing again after the reload')
    await page.evaluate(t => { document.querySelector('video').currentTime = t }, duration * 0.8)
    await playsPast(page, duration * 0.8 + 1, 'playing the stored part after a seek')
    const s = await stats(page)
    await screenshot(page, 'store-large')
    assert.ok(s.store_loads > 0, `pieces read back from the store: ${s.store_loads}`)
    assert.ok(s.bytes_from_cache > 0, JSON.stringify(s.bytes_from_cache))
    assert.ok(s.store_bytes > 5 * 8 * MiB, `${s.store_bytes} stored`)
    assert.deepEqual(errors, [])
    await page.close()
  })
})

describe('two tabs', () => {
  let w, video, torrent

  before(async () => {
    w = await world()
    video = makeVideo(8)
    torrent = w.addVideo(video, 'tabs.mp4')
  })

  after(async () => {
    await w?.stop()
    video?.cleanup()
  })

  test('two tabs playing the same torrent at once leave one whole, readable copy', async () => {
    const url = `/play?src=${encodeURIComponent(torrent.url)}`
    const [a, b] = await Promise.all([w.open(url), w.open(url)])
    await Promise.all([playToEnd(a.page, 'tab A'), playToEnd(b.page, 'tab B')])
    // One tab holds the item's lock and writes it; the other plays from memory (its own index
    // never sees the other's writes), so wait for either to hold the whole file.
    const whole = async page => {
      const s = await stats(page)
      return s.pieces_verified === s.pieces_total && s.store_bytes >= video.bytes.length
    }
    const deadline = Date.now() + 120_000
    while (!(await whole(a.page)) && !(await whole(b.page))) {
      assert.ok(Date.now() < deadline, 'one of the tabs stored the whole video within 2 minutes')
      await new Promise(resolve => setTimeout(resolve, 300))
    }
    await a.page.close()
    await b.page.close()
    const c = await w.open(url)
    await playToEnd(c.page, 'a third tab')
    const s = await stats(c.page)
    assert.equal(s.bytes_from_http + s.bytes_from_peers, 0, JSON.stringify(s))
    assert.equal(s.cache_hit_rate, 1)
    assert.equal(s.store_misses, 0, 'no damaged or missing entry')
    assert.deepEqual([...a.errors, ...b.errors, ...c.errors], [])
    await c.page.close()
  })
})

describe('expiry', () => {
  let w, video, torrent

  before(async () => {
    w = await world()
    video = makeVideo(4)
    torrent = w.addVideo(video, 'old.mp4')
  })

  after(async () => {
    await w?.stop()
    video?.cleanup()
  })

  test('entries unused longer than the expiry are removed at start (time injected)', async () => {
    const { page } = await w.open(`/play?src=${encodeURIComponent(torrent.url)}`)
    await storedWhole(page, video.bytes.length, 'storing')
    await page.close()
    const days = d => `globalThis.__shoalNow = () => Date.now() + ${d} * 86400000`
    // Six days later it is still there; nine days later (expiry 7) it is gone.
    const six = await w.open('/downloads', {}, days(6))
    assert.equal((await downloads(six.page)).length, 1)
    await six.page.close()
    const nine = await w.open('/downloads', {}, days(9))
    await nine.page.waitForSelector('[data-testid=downloads-empty]', { timeout: 30_000 })
    assert.equal((await downloads(nine.page)).length, 0)
    await screenshot(nine.page, 'store-expired')
    await nine.page.close()
  })
})
