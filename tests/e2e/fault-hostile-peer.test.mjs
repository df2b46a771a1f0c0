// A hostile browser peer among honest ones (issue 17, reliability under faults): two WebTorrent 3
// pages seed the same file, one of them patched here to corrupt every block it uploads. The
// Shoal runtime (the player's Client → metadata → Reader path, in a third page) must ban the liar,
// hand over only the original bytes, and finish from the honest seeder.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { buildHarness, openHarnessPage, serveHarness } from '../support/runtime-harness.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'
import { openWebTorrentPage, patternBytes, serveWebTorrentPage, withTimeout } from '../support/webtorrent.mjs'

const SIZE = 3 * 1024 * 1024 + 777
const PIECE = 64 * 1024

test('the Shoal runtime bans a WebTorrent peer that sends corrupt blocks and plays only the original bytes', async () => {
  buildHarness()
  let server, tracker, browser
  try {
    server = await serveWebTorrentPage(serveHarness)
    const origin = server.origin
    tracker = await startTracker()
    browser = await launchWebRtcBrowser()
    await browser.grant(origin)
    const errors = []
    const liar = await openWebTorrentPage(browser, origin + '/', errors)
    const honest = await openWebTorrentPage(browser, origin + '/', errors)
    const leecher = await openHarnessPage(browser, origin, errors)
    const seed = page => withTimeout(page.evaluate(({ tracker, size, piece }) =>
      window.wt.seed(window.wt.patternBytes(size, 5), 'hostile.bin', { announce: [tracker], pieceLength: piece }),
    { tracker: tracker.url, size: SIZE, piece: PIECE }), 30_000, 'seeding')
    const magnet = await seed(liar)
    // Every block the liar uploads has its first byte flipped; its own copy stays intact, so it
    // keeps claiming every piece.
    await liar.evaluate(() => {
      const torrent = window.client.torrents[0]
      const get = torrent.store.get.bind(torrent.store)
      window.corrupted = 0
      torrent.store.get = (index, opts, cb) => get(index, opts, (err, buf) => {
        if (!err && buf && opts && opts.length) {
          buf = new Uint8Array(buf)
          buf[0] ^= 0xff
          window.corrupted++
        }
        cb(err, buf)
      })
    })
    assert.equal(await seed(honest), magnet, 'both seed the same torrent')

    const got = await withTimeout(leecher.evaluate(async ({ magnet, tracker }) => {
      const r = await window.shoalDownload(magnet, tracker)
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', r.bytes))
      const sha256 = [...hash].map(b => b.toString(16).padStart(2, '0')).join('')
      return { length: r.bytes.length, sha256, hashFailures: r.hashFailures, peersBanned: r.peersBanned }
    }, { magnet, tracker: tracker.url }), 180_000, 'downloading beside a liar')
    const expected = patternBytes(SIZE, 5)
    assert.equal(got.length, expected.length)
    assert.equal(got.sha256, createHash('sha256').update(expected).digest('hex'), 'only the original bytes were handed over')
    const corrupted = await liar.evaluate(() => window.corrupted)
    // The test means something only if the liar's blocks reached the leecher.
    assert.ok(corrupted > 0, 'the liar uploaded corrupt blocks')
    assert.ok(got.hashFailures > 0, `pieces with the liar's blocks failed their hash (${JSON.stringify(got)})`)
    assert.equal(got.peersBanned, 1, `the liar was banned (${JSON.stringify(got)})`)
    assert.deepEqual(errors, [])
  } finally {
    await browser?.close()
    await tracker?.stop()
    await server?.close()
  }
})
