// The /play page end to end: a real WebTorrent page seeds a small H.264 MP4 through `shoal
// tracker`, and Shoal's player (wasm runtime + Service Worker) plays it from that peer, every
// byte of it from the peer; the same video plays from a web seed alone (a .torrent URL, and a
// magnet with ws= and xs=); on a large video behind a slow (throttled) seeder, a seek to 80 %
// resumes long before the pieces in between arrive (deadline picking); the Service Worker
// answers ranges the way HTTP servers do; bad links and lonely swarms get their messages.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { makeTorrent, makeVideo, openShoalPage, playsPast, startFixtureServer, withTimeout } from '../support/player-fixtures.mjs'
import { screenshot, startServe } from '../support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'

let video, tracker, serve, fixtures, browser, webseedTorrent

before(async () => {
  video = makeVideo(12)
  tracker = await startTracker()
  serve = await startServe()
  fixtures = await startFixtureServer({ '/test-pattern.mp4': video.file })
  webseedTorrent = makeTorrent(video, { webseeds: [`${fixtures.origin}/test-pattern.mp4`] })
  fixtures.addFile('/test-pattern.mp4.torrent', webseedTorrent.torrentFile)
  browser = await launchWebRtcBrowser()
  await browser.grant(fixtures.origin)
  await browser.grant(serve.url.replace(/\/$/, ''))
})

after(async () => {
  await browser?.close()
  await fixtures?.stop()
  await serve?.stop()
  await tracker?.stop()
  video?.cleanup()
})

// Every test here plays from the network: each page starts from an empty download store (these
// tests play the same video from different sources).
const openShoal = pathAndQuery => openShoalPage(browser, serve.url, pathAndQuery)

const stats = page => page.evaluate(() => window.shoal.stats())

describe('playback from a WebTorrent peer', () => {
  let seeder, magnet, page, errors

  before(async () => {
    seeder = await browser.context.newPage()
    await seeder.goto(fixtures.origin + '/')
    await seeder.waitForFunction(() => typeof window.wt === 'object')
    magnet = await withTimeout(seeder.evaluate(async ({ tracker }) => {
      const bytes = new Uint8Array(await (await fetch('/test-pattern.mp4')).arrayBuffer())
      return window.wt.seed(bytes, 'test-pattern.mp4', { announce: [tracker] })
    }, { tracker: tracker.url }), 30_000, 'seeding')
  })

  test('plays past 3 s with every byte from peers', async () => {
    ({ page, errors } = await openShoal(`/play?src=${encodeURIComponent(magnet)}`))
    await playsPast(page, 3, 'playing from the peer')
    await screenshot(page, 'player-peer')
    // The whole video arrives (it is smaller than the read-ahead window): every verified
    // piece, and so at least the file's length, was received from the peer.
    await withTimeout(page.waitForFunction(() => {
      const s = window.shoal.stats()
      return s.pieces_total > 0 && s.pieces_verified === s.pieces_total
    }, null, { timeout: 0, polling: 200 }), 60_000, 'downloading the whole video')
    const s = await stats(page)
    assert.equal(s.state, 'playing')
    assert.equal(s.path, 'test-pattern.mp4')
    assert.ok(s.have.every(Boolean), JSON.stringify(s.have))
    // The peer may already have hung up (two seeds have nothing to trade), so count what it sent.
    assert.ok(s.bytes_from_peers >= video.bytes.length, `${s.bytes_from_peers} bytes from peers for a ${video.bytes.length}-byte file`)
    assert.equal(s.bytes_from_http, 0, 'no byte came over HTTP')
    assert.ok(s.trackers.some(t => t.peers_seen >= 1), JSON.stringify(s.trackers))
    assert.ok(s.time_to_first_frame_ms > 0)
    assert.ok(s.trackers.some(t => t.url === tracker.url && t.state !== 'failed'), JSON.stringify(s.trackers))
    // The panel shows the same figures.
    assert.equal(await page.locator('[data-stat=from-http]').textContent(), '0 B')
    assert.equal(await page.locator('[data-stat=pieces]').textContent(), `${s.pieces_total} / ${s.pieces_total}`)
    assert.deepEqual(errors, [])
  })

  after(async () => {
    await page?.close()
    await seeder?.close()
  })
})

describe('a seek far ahead on a slow link', () => {
  // About 22 MB of video behind a seeder that uploads 512 KiB/s: the whole file takes over 40 s
  // to arrive, so a seek that resumes within a few seconds can only do so because the pieces at
  // the target were asked for first.
  const SECONDS = 60
  const UPLOAD_BYTES_PER_SECOND = 512 * 1024
  let big, seeder, magnet, page, errors

  before(async () => {
    big = makeVideo(SECONDS, { bitrate: '3M' })
    fixtures.addFile('/big.mp4', big.file)
    seeder = await browser.context.newPage()
    await seeder.goto(fixtures.origin + '/')
    await seeder.waitForFunction(() => typeof window.wt === 'object')
    magnet = await withTimeout(seeder.evaluate(async ({ tracker, rate }) => {
      const bytes = new Uint8Array(await (await fetch('/big.mp4')).arrayBuffer())
      const seeded = window.wt.seed(bytes, 'big.mp4', { announce: [tracker] })
      window.client.throttleUpload(rate)
      return seeded
    }, { tracker: tracker.url, rate: UPLOAD_BYTES_PER_SECOND }), 60_000, 'seeding the large video')
  })

  test('a seek to 80 % resumes there while most pieces before it are still missing', async t => {
    assert.ok(big.bytes.length > 16 << 20, `a large video: ${big.bytes.length} bytes`)
    ;({ page, errors } = await openShoal(`/play?src=${encodeURIComponent(magnet)}`))
    await playsPast(page, 1, 'playing the large video from the slow peer')
    const target = await page.evaluate(() => {
      const v = document.querySelector('video')
      v.currentTime = v.duration * 0.8
      return v.currentTime
    })
    assert.ok(target > SECONDS * 0.75, `seeked to ${target} s`)
    await playsPast(page, target + 1, 'playing after the seek')
    await screenshot(page, 'player-seek')
    const [s, at] = await Promise.all([stats(page), page.evaluate(() => document.querySelector('video').currentTime)])
    assert.ok(at >= target && at < target + 10, `playing from the target: at ${at} s, target ${target} s`)
    // The bytes of second N sit at about N / SECONDS of the file (constant bit rate, moov first).
    const targetPiece = Math.floor(s.pieces_total * target / SECONDS)
    const before = s.have.slice(0, Math.floor(targetPiece * 0.95))
    const haveBefore = before.filter(Boolean).length
    t.diagnostic(`${big.bytes.length} bytes in ${s.pieces_total} pieces; resumed at ${at.toFixed(1)} s with ${haveBefore} of the ${before.length} pieces before the target verified`)
    assert.ok(haveBefore < before.length / 2,
      `most pieces before the target are missing: ${haveBefore} of ${before.length} verified (pieces ${s.pieces_verified} / ${s.pieces_total})`)
    assert.ok(s.have.slice(targetPiece - 2, targetPiece + 3).some(Boolean), `pieces at the target (${targetPiece}) are verified`)
    assert.equal(s.bytes_from_http, 0)
    assert.deepEqual(errors, [])
  })

  after(async () => {
    await page?.close()
    await seeder?.close()
    big?.cleanup()
  })
})

test('a web-seed-only .torrent plays from HTTP, and the worker answers ranges like a server', async () => {
  // Typed into the home page's source box and played from there.
  const torrentUrl = `${fixtures.origin}/test-pattern.mp4.torrent`
  const { page, errors } = await openShoal('/')
  await page.getByLabel('Magnet link or info hash').fill(torrentUrl)
  await page.getByTestId('play').click()
  await page.waitForURL(url => url.pathname === '/play' && url.searchParams.get('src') === torrentUrl)
  await playsPast(page, 3, 'playing from the web seed')
  await screenshot(page, 'player-webseed')
  const s = await stats(page)
  assert.equal(s.bytes_from_peers, 0)
  assert.ok(s.bytes_from_http > 0)
  assert.ok(fixtures.sent['/test-pattern.mp4'] > 0, 'the web seed was asked')

  const length = video.bytes.length
  const url = `/stream/${s.info_hash}/0`
  const probe = await page.evaluate(async ({ url, length }) => {
    const get = async range => {
      const r = await fetch(url, range ? { headers: { Range: range } } : {})
      const body = new Uint8Array(await r.arrayBuffer())
      return {
        status: r.status,
        type: r.headers.get('content-type'),
        range: r.headers.get('content-range'),
        accept: r.headers.get('accept-ranges'),
        length: r.headers.get('content-length'),
        head: [...body.subarray(0, 8)],
        size: body.length
      }
    }
    return {
      first: await get('bytes=0-99'),
      tail: await get('bytes=-10'),
      whole: await get(null),
      past: await get(`bytes=${length}-`)
    }
  }, { url, length })
  assert.equal(probe.first.status, 206)
  assert.equal(probe.first.type, 'video/mp4')
  assert.equal(probe.first.accept, 'bytes')
  assert.equal(probe.first.range, `bytes 0-99/${length}`)
  assert.equal(probe.first.length, '100')
  assert.deepEqual(probe.first.head, [...video.bytes.subarray(0, 8)])
  assert.equal(probe.tail.range, `bytes ${length - 10}-${length - 1}/${length}`)
  assert.deepEqual(probe.tail.head, [...video.bytes.subarray(length - 10, length - 2)])
  assert.equal(probe.whole.status, 200)
  assert.equal(probe.whole.size, length)
  assert.equal(probe.past.status, 416)
  assert.equal(probe.past.range, `bytes */${length}`)
  assert.deepEqual(errors, [])
  await page.close()
})

test('a web-seed-only magnet plays: ws= for the bytes, xs= for the .torrent, no tracker, no peer', async () => {
  const hash = /xt=urn:btih:([0-9a-f]{40})/.exec(webseedTorrent.magnet)[1]
  const webseed = `${fixtures.origin}/test-pattern.mp4`
  const torrentUrl = `${fixtures.origin}/test-pattern.mp4.torrent`
  const magnet = `magnet:?xt=urn:btih:${hash}&dn=test-pattern.mp4&ws=${encodeURIComponent(webseed)}&xs=${encodeURIComponent(torrentUrl)}`
  const before = fixtures.sent['/test-pattern.mp4'] ?? 0
  const { page, errors } = await openShoal(`/play?src=${encodeURIComponent(magnet)}`)
  await playsPast(page, 3, 'playing the web-seed-only magnet')
  await screenshot(page, 'player-webseed-magnet')
  const s = await stats(page)
  assert.equal(s.info_hash, hash)
  assert.equal(s.path, 'test-pattern.mp4')
  assert.deepEqual(s.trackers, [], 'no tracker was asked')
  assert.equal(s.bytes_from_peers, 0)
  assert.ok(s.bytes_from_http > 0, JSON.stringify(s))
  assert.ok(fixtures.sent['/test-pattern.mp4'] > before, 'the web seed was asked')
  // Served by HTTP, so "no peers" is not something to warn about.
  assert.equal(await page.locator('[data-notice=no-peers]').count(), 0)
  assert.deepEqual(errors, [])
  await page.close()
})

test("a magnet whose xs= names another torrent's .torrent says so", async () => {
  const torrentUrl = `${fixtures.origin}/test-pattern.mp4.torrent`
  const magnet = `magnet:?xt=urn:btih:${'6'.repeat(40)}&xs=${encodeURIComponent(torrentUrl)}`
  const { page, errors } = await openShoal(`/play?src=${encodeURIComponent(magnet)}`)
  const error = page.getByTestId('player-error')
  await error.waitFor()
  const text = await error.textContent()
  assert.match(text, /points to the \.torrent file of another torrent/)
  assert.ok(text.includes(`the magnet link is for ${'6'.repeat(40)}`), text)
  assert.equal(await page.locator('video').count(), 0)
  assert.deepEqual(errors, [])
  await page.close()
})

test('an invalid magnet says what is wrong', async () => {
  const { page, errors } = await openShoal(`/play?src=${encodeURIComponent('magnet:?xt=urn:btih:abc123&dn=broken')}`)
  const error = page.getByTestId('player-error')
  await error.waitFor()
  assert.match(await error.textContent(), /not something Shoal can play/)
  assert.match(await error.textContent(), /info hash/i)
  await screenshot(page, 'player-invalid')
  assert.equal(await page.locator('video').count(), 0)
  assert.deepEqual(errors, [])
  await page.close()
})

test('a swarm with no peers says how long it waited and which tracker answered', async () => {
  const lonely = `magnet:?xt=urn:btih:${'5'.repeat(40)}&dn=nobody&tr=${encodeURIComponent(tracker.url)}`
  const { page, errors } = await openShoal(`/play?src=${encodeURIComponent(lonely)}`)
  const notice = page.locator('[data-notice=no-peers]')
  await notice.waitFor({ timeout: 30_000 })
  const text = await notice.textContent()
  assert.match(text, /No peers yet — waited \d+ s/)
  assert.match(text, new RegExp(`Answered: ${tracker.url.replace(/[.]/g, '\\.')}`))
  await screenshot(page, 'player-no-peers')
  assert.deepEqual(errors, [])
  await page.close()
})
