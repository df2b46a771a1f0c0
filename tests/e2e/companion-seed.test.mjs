// `shoal seed` is a WebRTC peer that WebTorrent 3 (npm webtorrent's browser bundle, in headless
// Chromium) downloads a whole file from: the browser's offer is relayed by `shoal tracker`, the
// companion's native peer (str0m) answers, and the pieces travel over the data channel. The
// magnet carries no web seed, so every byte comes from the native peer; the test compares
// each of them with the file on disk.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { startSeed } from '../support/companion-seed.mjs'
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
