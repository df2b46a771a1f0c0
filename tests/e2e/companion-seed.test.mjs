// `shoal seed` is a WebRTC peer that WebTorrent 3 (npm webtorrent's browser bundle, in headless
// Chromium) downloads a whole file from: the browser's offer is relayed by `shoal tracker`, the
// companion's native peer (str0m) answers, and the pieces travel over the data channel. The
// magnet carries no web seed, so every byte comes from the native peer; the test compares
// each of them with the file on disk. The same for Shoal's own runtime (wasm, the engine the
// player uses) as the browser side: the companion's str0m host and Chromium's WebRTC carry a
// whole torrent between Shoal's two halves, checked byte for byte.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { startSeed } from '../support/companion-seed.mjs'
import { buildHarness, openHarnessPage, serveHarness } from '../support/runtime-harness.mjs'
import { launchWebRtcBrowser, startTracker } from '../support/tracker.mjs'
import { openWebTorrentPage, patternBytes, serveWebTorrentPage, withTimeout } from '../support/webtorrent.mjs'

// Not a multiple of any piece length: the last piece is short.
const SIZE = 3 * (1 << 20) + 12_345

test('WebTorrent in Chromium downloads a whole file from `shoal seed` over WebRTC', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-seed-'))
  const file = path.join(dir, 'clip.mp4')
  const bytes = patternBytes(SIZE, 31)
  writeFileSync(file, bytes)
  const expected = createHash('sha256').update(bytes).digest('hex')

  let server, tracker, seeder, browser
  try {
    server = await serveWebTorrentPage()
    tracker = await startTracker()
    seeder = await startSeed(file, tracker.url, ['--cache-dir', path.join(dir, 'cache')])
    assert.match(seeder.magnet, /^magnet:\?xt=urn:btih:[0-9a-f]{40}/)
    assert.doesNotMatch(seeder.magnet, /[?&]ws=/, 'the magnet must not offer a web seed')

    browser = await launchWebRtcBrowser()
    await browser.grant(server.origin)
    const errors = []
    const p = await openWebTorrentPage(browser, server.origin + '/', errors)
    const result = await withTimeout(p.evaluate(({ tracker, magnet }) =>
      window.wt.download(magnet, { announce: [tracker] }),
    { tracker: tracker.url, magnet: seeder.magnet }), 120_000, 'downloading from the companion')

    assert.equal(result.length, SIZE)
    assert.equal(result.digest, expected)
    // Every byte came over a WebRTC wire (no web seed was offered).
    assert.ok(result.wires.includes('webrtc'), JSON.stringify(result.wires))
    assert.ok(!result.wires.includes('webSeed'), JSON.stringify(result.wires))
    assert.ok(result.received >= SIZE, `received ${result.received}`)
    assert.deepEqual(errors, [])
  } finally {
    await browser?.close()
    await seeder?.stop()
    await tracker?.stop()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the Shoal runtime in Chromium downloads a whole file from `shoal seed` over WebRTC', async () => {
  buildHarness()
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-seed-runtime-'))
  const file = path.join(dir, 'clip.webm')
  const bytes = patternBytes(SIZE, 13)
  writeFileSync(file, bytes)
  const expected = createHash('sha256').update(bytes).digest('hex')

  let server, tracker, seeder, browser
  try {
    server = await serveWebTorrentPage(serveHarness)
    tracker = await startTracker()
    seeder = await startSeed(file, tracker.url, ['--cache-dir', path.join(dir, 'cache')])
    assert.doesNotMatch(seeder.magnet, /[?&]ws=/, 'the magnet must not offer a web seed')

    browser = await launchWebRtcBrowser()
    await browser.grant(server.origin)
    const errors = []
    const page = await openHarnessPage(browser, server.origin, errors)
    const got = await withTimeout(page.evaluate(async ({ magnet, tracker }) => {
      const r = await window.shoalDownload(magnet, tracker)
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', r.bytes))
      const sha256 = [...hash].map(b => b.toString(16).padStart(2, '0')).join('')
      return { length: r.bytes.length, sha256, trackerState: r.trackerState, peersSeen: r.peersSeen, bytesFromPeers: r.bytesFromPeers }
    }, { magnet: seeder.magnet, tracker: tracker.url }), 120_000, 'the Shoal runtime downloading from the companion')

    assert.equal(got.length, SIZE)
    assert.equal(got.sha256, expected, 'every byte matches the file on disk')
    assert.equal(got.trackerState, 'answered')
    assert.ok(got.peersSeen >= 1)
    // No web seed, and the companion was the only peer: every byte crossed its data channel.
    assert.ok(got.bytesFromPeers >= SIZE, `${got.bytesFromPeers} bytes from peers`)
    assert.deepEqual(errors, [])
  } finally {
    await browser?.close()
    await seeder?.stop()
    await tracker?.stop()
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  }
})
