// HLS segments between viewers (issue 13, tests 1–3): the real broadcaster (`shoal serve
// --channel demo=testsrc`) and viewer pages, each in its own headless Chromium (own process,
// own profile, so no download store is shared), joined through the companion's tracker over
// loopback WebRTC. What hls.js was handed is recorded in each page (its FRAG_LOADED payloads)
// and compared with the origin's segment files on disk.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { root, runShoal, screenshot } from '../support/shoal.mjs'
import { startCompanion } from '../support/companion-serve.mjs'
import { launchWebRtcBrowser } from '../support/tracker.mjs'
import { removeDir } from '../support/addon-fixture.mjs'

const hasChannels = /--channel/.test(runShoal(['serve', '--help']).stdout)
// Loopback only: no public trackers (the playlist names the companion's), no STUN.
const SETTINGS = JSON.stringify({ trackers: [], ice_servers: [] })

let app, scratch, channelsDir
const browsers = []

before(async () => {
  if (!hasChannels) return
  scratch = mkdtempSync(path.join(tmpdir(), 'shoal-hls-p2p-'))
  channelsDir = mkdtempSync(path.join(scratch, 'channels-'))
  app = await startCompanion({
    dist: process.env.SHOAL_DIST ?? path.join(root, 'dist'),
    library: mkdtempSync(path.join(scratch, 'library-')),
    cache: mkdtempSync(path.join(scratch, 'cache-')),
    // A DVR window longer than the tests, so every segment a page got is still on disk.
    // 10 segments in the live playlist (20 s): room for a viewer 18 s behind the edge.
    args: ['--channel', 'demo=testsrc', '--channels-dir', channelsDir, '--dvr-seconds', '900', '--live-segments', '10']
  })
})

/** Closes every viewer's Chromium (a failed test's viewers must not join the next test). */
async function closeViewers () {
  while (browsers.length) await browsers.pop().close()
}

after(async () => {
  await closeViewers()
  await app?.stop()
  if (scratch) removeDir(scratch)
})

// A viewer that watches 12 s behind the live edge and buffers 8 s ahead (hls.js options): the
// segments it asks for appeared a few seconds earlier, so a viewer at the live edge has them.
// Two viewers both at the live edge want each new segment at the same moment; whichever
// playlist refresh comes first fetches it over HTTP and the other takes it from that one, and
// which of the two that is depends on when each page started its refresh timer. A test that
// needs a given viewer to receive gives it this buffer.
const BEHIND = { liveSyncDurationCount: 6, maxBufferLength: 8 }

// In every viewer page: the settings, the page's hls.js options, and a record of each segment
// payload hls.js was handed (copied at its FRAG_LOADED event, before it transmuxes it).
function recordPayloads ({ settings, hls }) {
  localStorage.setItem('shoal.settings', settings)
  window.__payloads = []
  const record = (url, data) => {
    const view = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data)
    window.__payloads.push({ url, bytes: view.slice() })
  }
  // The segment loader the app gives hls.js, with its onSuccess recorded (hls.js transfers the
  // payload to its transmuxing worker right after, so it is copied here).
  const wrapLoader = Loader => class extends Loader {
    load (context, config, callbacks) {
      const onSuccess = callbacks.onSuccess
      const cbs = Object.assign({}, callbacks, {
        onSuccess: (response, stats, ctx, net) => {
          if (response?.data && typeof response.data !== 'string') record(context.url, response.data)
          return onSuccess(response, stats, ctx, net)
        }
      })
      return super.load(context, config, cbs)
    }
  }
  let Hls
  Object.defineProperty(window, 'Hls', {
    configurable: true,
    get: () => Hls,
    set: v => {
      Hls = class extends v {
        constructor (config) {
          if (config?.fLoader) config = Object.assign({}, config, hls, { fLoader: wrapLoader(config.fLoader) })
          super(config)
        }
      }
    }
  })
}

// A lying viewer: every large message it sends on a segment's data channel (label = the
// segment's info hash in hex), i.e. every piece block, has its last byte flipped.
function tamperSegments () {
  const send = RTCDataChannel.prototype.send
  RTCDataChannel.prototype.send = function (data) {
    if (/^[0-9a-f]{40}$/.test(this.label) && data.byteLength > 1000) {
      const src = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      const copy = new Uint8Array(src)
      copy[copy.length - 1] ^= 0xff
      return send.call(this, copy)
    }
    return send.call(this, data)
  }
}

// A viewer that can go silent mid-segment. Once `window.__cutAfter` is a number, the next
// segment whose data channel (label = its info hash in hex) starts sending piece data gets that
// many bytes through and then nothing at all goes out on any segment channel (the connections
// stay open; the peer just stops answering). Channels already sending when the cut is armed
// finish normally: the cut must fall inside one segment, at a known distance from its start,
// not at whatever point of a transfer in flight the arming happened to meet (a cut landing at a
// segment's end leaves nothing for HTTP to take over). Counted in bytes, not sends: one send may
// carry many blocks (the runtime fills the channel's maxMessageSize), and the wire is a byte
// stream, so a prefix of a message is what a peer that stalls mid-send leaves behind.
function silenceable () {
  window.__cutAfter = null
  // Labels of channels that had sent piece data before the cut was armed.
  const busy = new Set()
  let target = null
  let silent = false
  const send = RTCDataChannel.prototype.send
  const isPieceData = (label, data) => /^[0-9a-f]{40}$/.test(label) && data.byteLength > 1000
  RTCDataChannel.prototype.send = function (data) {
    if (!/^[0-9a-f]{40}$/.test(this.label)) return send.call(this, data)
    if (silent) return
    if (window.__cutAfter === null) {
      if (isPieceData(this.label, data)) busy.add(this.label)
      return send.call(this, data)
    }
    if (target === null && isPieceData(this.label, data) && !busy.has(this.label)) target = this.label
    if (this.label !== target) return send.call(this, data)
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data)
    if (bytes.byteLength >= window.__cutAfter) {
      silent = true
      window.__cutAt = { label: target, at: performance.now() }
      return send.call(this, bytes.slice(0, window.__cutAfter))
    }
    window.__cutAfter -= bytes.byteLength
    return send.call(this, data)
  }
}

/**
 * Opens /live/demo in a Chromium of its own; `extra` is an init script run before the app,
 * `hls` options for the page's hls.js.
 */
async function viewer (name, extra, hls = {}) {
  const browser = await launchWebRtcBrowser()
  browsers.push(browser)
  await browser.grant(app.url)
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  if (process.env.SHOAL_DEBUG) page.on('console', m => console.log(`[${name}] ${m.type()}: ${m.text()}`))
  await page.addInitScript(recordPayloads, { settings: SETTINGS, hls })
  if (extra) await page.addInitScript(extra)
  await page.goto(`${app.url}/live/demo`)
  return { name, page, errors, browser }
}

const stats = v => v.page.evaluate(() => window.shoal?.hlsStats?.() ?? null)
const playedPast = (v, s, timeout = 120_000) =>
  v.page.waitForFunction(t => document.querySelector('[data-testid=watch-video]')?.currentTime > t, s, { timeout })
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/**
 * Waits until `check(stats)` holds (polling), failing with the last stats after `timeoutMs`,
 * and with what `more()` says (another page's state) when given.
 */
async function until (v, check, what, timeoutMs = 90_000, more = null) {
  const end = Date.now() + timeoutMs
  let s
  while (Date.now() < end) {
    s = await stats(v)
    if (s && check(s)) return s
    await sleep(500)
  }
  const extra = more ? `; ${JSON.stringify(await more().catch(e => String(e)))}` : ''
  assert.fail(`${v.name}: ${what}; last stats ${JSON.stringify(s)}${extra}`)
}

/** The origin's published segment files, by name. */
function originSegments () {
  const found = new Map()
  const walk = dir => {
    for (const e of readdirSync(dir)) {
      const p = path.join(dir, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (/^seg-\d+\.ts$/.test(e) && p.includes(`${path.sep}public${path.sep}`)) found.set(e, p)
    }
  }
  walk(channelsDir)
  return found
}

/** Every payload hls.js got in this page equals the origin's file of that name. */
async function assertPayloadsMatchOrigin (v) {
  // Hashed in the page: shipping the bytes out through the DevTools protocol is slow.
  const got = await v.page.evaluate(() => Promise.all(window.__payloads.map(async p => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', p.bytes))
    return { url: p.url, sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join('') }
  })))
  const files = originSegments()
  assert.ok(got.length >= 3, `${v.name} was handed ${got.length} segments`)
  for (const { url, sha256 } of got) {
    const name = url.split('/').pop()
    const file = files.get(name)
    assert.ok(file, `${name} is on the origin's disk`)
    const want = createHash('sha256').update(readFileSync(file)).digest('hex')
    assert.equal(sha256, want, `${v.name}: what hls.js got for ${name} is the origin's file`)
  }
  return got.length
}

const skip = !hasChannels && 'this shoal has no --channel'

test('two viewers: both play past 10 s, the second gets segment bytes from the first', { skip }, async () => {
  await closeViewers()
  const first = await viewer('first')
  await playedPast(first, 4)
  const second = await viewer('second', null, BEHIND)
  await Promise.all([playedPast(first, 10), playedPast(second, 10)])
  const s2 = await until(second, s => s.bytesFromPeers > 0 && s.peers >= 1, 'bytes from the first viewer')
  const s1 = await stats(first)
  console.log(`second, per segment: ${s2.recent.map(r => `${r.sequence}:${r.delivery}`).join(' ')}`)
  // A measurement, not an assertion (it depends on how fast the late joiner's first connection
  // opens): how many of its first three segments came whole from peers, and how many segments
  // were already held from peers (prefetched) when hls.js asked.
  const firstThree = s2.recent.slice(0, 3)
  console.log(`second, first three segments: ${firstThree.filter(r => r.delivery === 'peers').length} of ` +
    `${firstThree.length} whole from peers (${firstThree.map(r => r.delivery).join(', ')}); prefetched ${s2.prefetched}`)
  console.log(`first: http ${s1.bytesFromHttp} B, peers ${s1.bytesFromPeers} B, sent ${s1.bytesToPeers} B, stalls ${s1.stalls}; ` +
    `second: http ${s2.bytesFromHttp} B, peers ${s2.bytesFromPeers} B, share ${s2.p2pShare.toFixed(2)}, stalls ${s2.stalls}`)
  assert.ok(s1.bytesFromHttp > 0, 'the first viewer has bytes from HTTP')
  assert.ok(s1.bytesToPeers > 0, 'the first viewer sent bytes to a peer')
  assert.ok(s2.recent.some(r => r.peerBytes > 0 && (r.delivery === 'peers' || r.delivery === 'peersThenHttp')), JSON.stringify(s2.recent))
  assert.equal(s2.bannedPeers, 0)
  await assertPayloadsMatchOrigin(first)
  await assertPayloadsMatchOrigin(second)
  await screenshot(second.page, 'hls-p2p-second-viewer')
  assert.deepEqual([...first.errors, ...second.errors], [])
  await closeViewers()
})

test('a viewer sending wrong bytes is banned; the victim only ever hands hls.js the origin\'s bytes', { skip }, async () => {
  await closeViewers()
  const honest = await viewer('honest')
  const liar = await viewer('liar', tamperSegments)
  await Promise.all([playedPast(honest, 4), playedPast(liar, 4)])
  const victim = await viewer('victim', null, BEHIND)
  const banned = await until(victim, s => s.bannedPeers >= 1, 'the victim bans the liar', 120_000)
  await playedPast(victim, Math.max(10, banned.currentTime + 6))
  // Asked no more: what the liar sent stops growing (each viewer bans it at the first bad piece
  // it gets from it, and from then on never asks it again).
  let quiet = false
  let sent = []
  for (let round = 0; round < 8 && !quiet; round++) {
    const a = (await stats(liar)).bytesToPeers
    await sleep(8_000)
    const b = (await stats(liar)).bytesToPeers
    sent.push(`${a}→${b}`)
    quiet = a === b
  }
  const s = await stats(victim)
  console.log(`victim: peers ${s.bytesFromPeers} B, http ${s.bytesFromHttp} B, banned ${s.bannedPeers}, stalls ${s.stalls}; liar sent ${sent.join(', ')}`)
  assert.ok(quiet, `nobody asks the liar any more: its uploads over 8 s windows ${sent.join(', ')}`)
  const n = await assertPayloadsMatchOrigin(victim)
  assert.ok(n >= 5, `the victim played on (${n} segments)`)
  assert.ok(victim.errors.length === 0, String(victim.errors))
  await closeViewers()
})

test('the only peer stops answering mid-segment: HTTP takes over the rest, no stall', { skip }, async () => {
  await closeViewers()
  const peer = await viewer('peer', silenceable)
  // A channel live for a while and a victim buffer deep enough that the victim may fetch the
  // next segments from the peer before hls.js asks for them (prefetch), armed in steady play:
  // the cut may land on a segment the loader reads or on one fetched ahead (which failed in
  // CI before segments were fetched lowest piece first). Which one it is, is not controlled.
  // The victim plays 18 s behind the live edge and buffers 12 s ahead, so it asks for segments
  // at least 6 s old, which the peer (3 segments from the edge, fetching each new one as it
  // appears) holds by then. Nearer the edge the two would race for each new segment, and a
  // victim whose playlist reloads happen to come first fetches every one over HTTP and never
  // from the peer (seen in CI with the victim 12 s behind and buffering 12 s).
  await playedPast(peer, 16)
  const victim = await viewer('victim', null, { liveSyncDurationCount: 9, maxBufferLength: 12 })
  // Armed in steady play: the buffer is healthy by then, so the next segments may be coming
  // ahead of time (prefetch) when the peer goes silent.
  await playedPast(victim, 8)
  const before = await until(victim, s => s.bytesFromPeers > 0, 'bytes from the peer')
  // A piece and a half more (96 KiB) of the next segment the peer starts sending, then silence.
  await peer.page.evaluate(() => { window.__cutAfter = 96 * 1024 })
  const cut = await until(victim, s => s.recent.some(r => r.delivery === 'peersThenHttp'),
    'a segment begun from the peer and finished over HTTP', 60_000,
    async () => ({ cut: await peer.page.evaluate(() => window.__cutAt ?? null), peer: await stats(peer) }))
  await playedPast(victim, cut.currentTime + 10)
  const s = await stats(victim)
  console.log(`victim: peers ${s.bytesFromPeers} B, http ${s.bytesFromHttp} B, stalls ${before.stalls} → ${s.stalls}; ` +
    `taken over: ${JSON.stringify(cut.recent.filter(r => r.delivery === 'peersThenHttp'))}`)
  // The segments after it (for the report; the silent peer is benched, not waited on: no
  // time is asserted).
  const taken = Math.max(...cut.recent.filter(r => r.delivery === 'peersThenHttp').map(r => r.sequence ?? -1))
  console.log(`victim after the take-over: ${JSON.stringify(s.recent.filter(r => (r.sequence ?? -1) > taken).map(r => [r.sequence, r.delivery, r.peerBytes, r.loadMs]))}`)
  assert.equal(s.stalls, before.stalls, 'no stall after the peer went silent')
  assert.ok(s.segments >= cut.segments + 3, 'segments kept coming')
  await assertPayloadsMatchOrigin(victim)
  assert.deepEqual(victim.errors, [])
  await closeViewers()
})
