// Benchmark (issue 17, items 1 and 2): browser to browser at the data channel's ceiling.
// In one run, alternating, each side in fresh headless Chromium processes of its own:
//   ceiling    two pages, one RTCDataChannel, SIZE bytes of ArrayBuffers sent with bufferedAmount
//              back-pressure (CHUNK_KIB per message) and counted on the other side;
//   shoal      a Shoal page seeds SIZE bytes (`Client::seed`, the app's "Share a file"), a second
//              Shoal page downloads them the way the player does (Client → metadata → Reader);
//   webtorrent a WebTorrent 3.0.21 page seeds, a second one downloads (client.add → its file
//              iterator), the reference;
//   shoal-wt   a Shoal page seeds, a WebTorrent page downloads (the Shoal seeder's wire and
//              message sizes against WebTorrent, checked byte for byte);
//   native     `shoal seed` (SHOAL_BIN, the companion's native WebRTC peer) seeds, a Shoal page
//              downloads (item 3);
//   native-wt  `shoal seed` seeds, a WebTorrent page downloads;
//   native-N   N `shoal seed` processes seed the same file, a Shoal page downloads (item 5: does
//              the rate rise with peers, and what does a MiB cost?);
//   shoal-before  Shoal → Shoal with another build of the harness (BEFORE_HARNESS=folder of its
//              wasm-bindgen output), for before/after tables of a change in the same run.
// Figures: MiB/s after metadata, time to metadata, to the first 2 MiB in order, to completion,
// renderer CPU of each side (/proc with the pids CDP SystemInfo.getProcessInfo reports) and the
// leecher's main-thread busy time (CDP TaskDuration). Every download is checked (SHA-256).
//
//   node bench/browser/p2p-ceiling.mjs
//   (env: COUNT=1 prints each side's data-channel sends and messages; SIZE_MIB=64, RUNS=3, CHUNK_KIB=64, KINDS=ceiling,shoal,webtorrent,native,native-wt, CARGO_TARGET_DIR, SHOAL_BIN)
//
// The Shoal pages are crates/runtime/examples/interop_harness.rs built with the app's
// `wasm-release` profile. Prints each run as JSON and a Markdown section for docs/benchmarks.md.
// Never run by CI; nothing here asserts a time.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { startSeed } from '../../tests/support/companion-seed.mjs'
import { startTracker } from '../../tests/support/tracker.mjs'
import {
  benchScratch, buildReleaseHarness, cpuSeconds, launchChromium, machine, median, MiB, pageSha256, randomFile, secs, startPages,
  webTorrentLeech, webTorrentLeecherPage, webTorrentSeeder, withTimeout
} from './common.mjs'

const SIZE = Number(process.env.SIZE_MIB ?? 64) * MiB
const RUNS = Number(process.env.RUNS ?? 3)
const CHUNK = Number(process.env.CHUNK_KIB ?? 64) * 1024
const FIRST = 2 * MiB
const NAME = 'bench.bin'

const { tmp, cleanups, cleanup } = benchScratch('p2p-ceiling')



const shoalPage = (dir = 'harness') => '<!doctype html><meta charset="utf-8"><title>Shoal runtime</title>' +
  `<script type="module">import init, * as h from "/${dir}/interop_harness.js";` +
  ' await init(); window.shoalDownloadTimed = h.download_timed; window.shoalSeed = h.seed;' +
  ' window.shoalLeechStats = h.leech_stats; window.shoalTakeDownload = h.take_download</script>'

// The raw data channel: `offer()`/`answer(sdp)`/`accept(sdp)` with complete ICE gathering (no
// trickle: node carries one SDP each way), then `send(size, chunk)` on one side and
// `receive(size)` on the other.
const channelPage = `<!doctype html><meta charset="utf-8"><title>data channel</title><script>
const gathered = pc => pc.iceGatheringState === 'complete' ? Promise.resolve()
  : new Promise(resolve => pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve() }))
const pc = new RTCPeerConnection({ iceServers: [] })
let channel = null
const opened = new Promise(resolve => {
  pc.ondatachannel = e => { channel = e.channel; channel.binaryType = 'arraybuffer'; resolve() }
  window.openChannel = () => { channel = pc.createDataChannel('bench'); channel.binaryType = 'arraybuffer'; channel.onopen = resolve }
})
window.offer = async () => { window.openChannel(); await pc.setLocalDescription(await pc.createOffer()); await gathered(pc); return pc.localDescription.sdp }
window.answer = async sdp => { await pc.setRemoteDescription({ type: 'offer', sdp }); await pc.setLocalDescription(await pc.createAnswer()); await gathered(pc); return pc.localDescription.sdp }
window.accept = async sdp => { await pc.setRemoteDescription({ type: 'answer', sdp }) }
window.ready = () => opened
window.send = async (size, chunk) => {
  const buf = new Uint8Array(chunk).map((_, i) => i)
  const high = 4 * chunk > (1 << 20) ? 4 * chunk : 1 << 20
  channel.bufferedAmountLowThreshold = high / 2
  let sent = 0
  while (sent < size) {
    if (channel.bufferedAmount > high) await new Promise(resolve => { channel.onbufferedamountlow = resolve })
    const n = Math.min(chunk, size - sent)
    channel.send(n === chunk ? buf : buf.subarray(0, n))
    sent += n
  }
}
window.receive = size => new Promise(resolve => {
  let got = 0
  channel.onmessage = e => { got += e.data.byteLength; if (got >= size) resolve(got) }
})
</script>`

/** Starts V8's sampling profiler in `page`; the returned function stops it and formats the
 * functions with the most self time. */
async function startProfile (context, page) {
  const cdp = await context.newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  await cdp.send('Profiler.start')
  return async () => {
    const { profile } = await cdp.send('Profiler.stop')
    const self = new Map()
    const byId = new Map(profile.nodes.map(n => [n.id, n]))
    const dt = profile.timeDeltas
    profile.samples.forEach((id, i) => {
      const f = byId.get(id).callFrame
      // Anonymous functions (wasm-bindgen's glue has many) are told apart by their line.
      const where = f.functionName || f.lineNumber < 0 ? '' : `:${f.lineNumber + 1}`
      const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}${where}`
      self.set(name, (self.get(name) ?? 0) + (dt[i] ?? 0))
    })
    const total = [...self.values()].reduce((a, b) => a + b, 0)
    return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)
      .map(([name, us]) => `  ${(us / 1000).toFixed(0).padStart(6)} ms ${(100 * us / total).toFixed(1).padStart(5)} %  ${name}`).join('\n')
  }
}

/** COUNT=1: counts a page's data-channel sends and received messages (and their bytes) from
 * now on, by wrapping `RTCDataChannel.prototype.send` and the `onmessage` setter; read them
 * with {@link readMessageCounts}. Only channels made or handed over after the call count. */
function countMessages (page) {
  return page.evaluate(() => {
    const c = window.__dcCount = { sends: 0, sentBytes: 0, messages: 0, receivedBytes: 0 }
    const proto = RTCDataChannel.prototype
    const send = proto.send
    proto.send = function (data) {
      c.sends++
      c.sentBytes += data.byteLength ?? data.length ?? 0
      return send.call(this, data)
    }
    const onmessage = Object.getOwnPropertyDescriptor(proto, 'onmessage')
    Object.defineProperty(proto, 'onmessage', {
      configurable: true,
      get () { return onmessage.get.call(this) },
      set (f) {
        onmessage.set.call(this, f && (e => {
          c.messages++
          c.receivedBytes += e.data.byteLength ?? e.data.length ?? 0
          return f.call(this, e)
        }))
      }
    })
  })
}

const readMessageCounts = page => page.evaluate(() => window.__dcCount)

async function mainThreadSeconds (cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics')
  return metrics.find(m => m.name === 'TaskDuration')?.value ?? NaN
}

/** Two Chromium processes (seeder side, unless `seederToo` is false; leecher side), closed by
 * the returned function. */
async function twoBrowsers (seederToo = true) {
  const seeder = seederToo ? await launchChromium() : null
  const leecher = await launchChromium()
  return { seeder, leecher, close: async () => { await leecher.close(); await seeder?.close() } }
}

async function ceilingOnce (pages) {
  const { seeder, leecher, close } = await twoBrowsers()
  try {
    const a = (await seeder.open(pages.origin + '/dc')).page
    const b = (await leecher.open(pages.origin + '/dc')).page
    const offer = await a.evaluate(() => window.offer())
    const answer = await b.evaluate(sdp => window.answer(sdp), offer)
    await a.evaluate(sdp => window.accept(sdp), answer)
    await withTimeout(Promise.all([a.evaluate(() => window.ready()), b.evaluate(() => window.ready())]), 30_000, 'opening the data channel')
    const s0 = await seeder.cpu()
    const l0 = await leecher.cpu()
    const received = b.evaluate(size => window.receive(size), SIZE)
    const start = performance.now()
    await a.evaluate(({ size, chunk }) => window.send(size, chunk), { size: SIZE, chunk: CHUNK })
    const got = await withTimeout(received, 600_000, 'receiving')
    const doneMs = performance.now() - start
    if (got !== SIZE) throw new Error(`ceiling: received ${got} bytes`)
    const r = {
      kind: 'ceiling',
      metadataMs: NaN,
      firstMs: NaN,
      doneMs,
      mibps: SIZE / MiB / (doneMs / 1000),
      seederCpu: (await seeder.cpu()).renderer - s0.renderer,
      leecherCpu: (await leecher.cpu()).renderer - l0.renderer,
      mainThread: NaN
    }
    console.log(JSON.stringify(r))
    return r
  } finally {
    await close()
  }
}

/** A Shoal page seeding /file; resolves with {page, magnet}. */
async function shoalSeeder (chrome, origin, tracker, path = '/shoal') {
  const { page } = await chrome.open(origin + path)
  await page.waitForFunction(() => typeof window.shoalSeed === 'function')
  const magnet = await withTimeout(page.evaluate(async ({ tracker, name }) => {
    const bytes = new Uint8Array(await (await fetch('/file')).arrayBuffer())
    window.seeding = await window.shoalSeed(name, bytes, tracker)
    return window.seeding.magnet()
  }, { tracker, name: NAME }), 300_000, 'Shoal seeding')
  return { page, magnet }
}

function shoalLeech (page, magnet, tracker, firstBytes) {
  return page.evaluate(async ({ magnet, tracker, firstBytes }) => {
    const r = await window.shoalDownloadTimed(magnet, tracker, firstBytes)
    // Harnesses before take_download returned the bytes (copied inside the measured CPU).
    if (r.bytes) window.__chunks = [r.bytes]
    return { metadataMs: r.metadataMs, firstMs: r.firstMs, doneMs: r.doneMs, length: r.length ?? r.bytes.length }
  }, { magnet, tracker, firstBytes })
}

/** `count` × `shoal seed` of the same file as the seeder side: its CPU is the processes' own. */
async function nativeSeeders (file, tracker, count) {
  const seeds = []
  try {
    for (let i = 0; i < count; i++) seeds.push(await startSeed(file, tracker))
  } catch (e) {
    await Promise.all(seeds.map(s => s.stop()))
    throw e
  }
  const cpu = () => seeds.reduce((sum, s) => sum + cpuSeconds(s.child.pid), 0)
  return {
    magnet: seeds[0].magnet,
    cpu: async () => ({ renderer: cpu(), total: cpu() }),
    close: () => Promise.all(seeds.map(s => s.stop()))
  }
}

/** How many native seeders a kind means (`native`, `native-wt`: 1; `native-N`: N; else 0). */
const nativeCount = kind => kind === 'native' || kind === 'native-wt' ? 1 : Number(kind.match(/^native-(\d+)$/)?.[1] ?? 0)

async function torrentOnce (kind, pages, tracker, data) {
  const { seeder: seederChrome, leecher, close } = await twoBrowsers(nativeCount(kind) === 0)
  const native = nativeCount(kind) ? await nativeSeeders(data.file, tracker.url, nativeCount(kind)) : null
  const seeder = native ?? seederChrome
  try {
    const { magnet, page: seederPage } = native
      ? { magnet: native.magnet, page: null }
      : kind.startsWith('shoal')
        ? await shoalSeeder(seeder, pages.origin, tracker.url, kind === 'shoal-wt' ? '/shoal' : `/${kind}`)
        : await webTorrentSeeder(seeder, pages.origin, tracker.url, NAME)
    const shoalLeecher = !['webtorrent', 'native-wt', 'shoal-wt'].includes(kind)
    let opened
    if (shoalLeecher) {
      opened = await leecher.open(pages.origin + (kind.startsWith('native') ? '/shoal' : `/${kind}`))
      await opened.page.waitForFunction(() => typeof window.shoalDownloadTimed === 'function')
    } else {
      opened = await webTorrentLeecherPage(leecher, pages.origin)
    }
    const { page, errors } = opened
    const counting = process.env.COUNT && [page, seederPage].filter(Boolean)
    if (counting) await Promise.all(counting.map(countMessages))
    const cdp = await leecher.context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const s0 = await seeder.cpu()
    const l0 = await leecher.cpu()
    const main0 = await mainThreadSeconds(cdp)
    const leech = shoalLeecher ? shoalLeech : webTorrentLeech
    // WATCH=1: print both Shoal sides' figures every 5 s (where a slow run spends its time).
    const watch = process.env.WATCH && kind === 'shoal' && setInterval(async () => {
      const l = await page.evaluate(() => window.shoalLeechStats()).catch(e => String(e))
      const sd = await seederPage.evaluate(() => window.seeding.stats()).catch(e => String(e))
      console.log(JSON.stringify({ leecher: l, seeder: sd }))
    }, 5000)
    // PROFILE=1: the V8 CPU profile of both Shoal pages over the download, summed by function.
    const profiling = process.env.PROFILE && kind === 'shoal' &&
      await Promise.all([page, seederPage].map(p => startProfile(p.context(), p)))
    const r = await withTimeout(leech(page, magnet, tracker.url, FIRST), 600_000, `${kind} downloading`)
      .finally(() => watch && clearInterval(watch))
    if (profiling) {
      for (const [side, stop] of [['leecher', profiling[0]], ['seeder', profiling[1]]]) {
        console.log(`${side} page, self time by function (top 25):\n${await stop()}`)
      }
    }
    if (counting) {
      const [l, sd] = await Promise.all(counting.map(readMessageCounts))
      console.log(JSON.stringify({ kind, messages: { leecher: l, seeder: sd ?? null } }))
    }
    const s1 = await seeder.cpu()
    const l1 = await leecher.cpu()
    const main1 = await mainThreadSeconds(cdp)
    // The Shoal harness hands its bytes over only now, after the CPU figures were taken.
    if (shoalLeecher) await page.evaluate(() => { if (!window.__chunks) window.__chunks = [window.shoalTakeDownload()] })
    const sha = await pageSha256(page)
    if (r.length !== SIZE || sha !== data.sha256) throw new Error(`${kind}: the download does not match the file (${r.length} bytes)`)
    if (errors.length) throw new Error(`${kind}: page errors: ${errors.join('; ')}`)
    const result = {
      kind,
      metadataMs: r.metadataMs,
      firstMs: r.firstMs,
      doneMs: r.doneMs,
      mibps: SIZE / MiB / ((r.doneMs - r.metadataMs) / 1000),
      seederCpu: s1.renderer - s0.renderer,
      leecherCpu: l1.renderer - l0.renderer,
      mainThread: main1 - main0
    }
    console.log(JSON.stringify(result))
    return result
  } finally {
    await close()
    await native?.close()
  }
}

async function main () {
  const harness = buildReleaseHarness(path.join(tmp.dir, 'harness'))
  const data = randomFile(tmp.dir, NAME, SIZE)
  const tracker = await startTracker()
  cleanups.push(() => tracker.stop())
  const file = name => () => readFileSync(path.join(harness, name))
  const pages = await startPages(data.file, {
    '/dc': { type: 'text/html', body: () => channelPage },
    '/shoal': { type: 'text/html', body: () => shoalPage() },
    '/harness/interop_harness.js': { type: 'text/javascript', body: file('interop_harness.js') },
    '/harness/interop_harness_bg.wasm': { type: 'application/wasm', body: file('interop_harness_bg.wasm') },
    ...(process.env.BEFORE_HARNESS && {
      '/shoal-before': { type: 'text/html', body: () => shoalPage('before') },
      '/before/interop_harness.js': { type: 'text/javascript', body: () => readFileSync(path.join(process.env.BEFORE_HARNESS, 'interop_harness.js')) },
      '/before/interop_harness_bg.wasm': { type: 'application/wasm', body: () => readFileSync(path.join(process.env.BEFORE_HARNESS, 'interop_harness_bg.wasm')) }
    })
  })
  cleanups.push(() => pages.stop())
  const before = machine()
  const kinds = (process.env.KINDS ?? 'ceiling,shoal,webtorrent,native,native-wt').split(',')
  const results = Object.fromEntries(kinds.map(k => [k, []]))
  for (let i = 0; i < RUNS; i++) {
    // Rotate the order so no side always runs first (or last) in a round.
    const order = kinds.map((_, k) => kinds[(i + k) % kinds.length])
    for (const kind of order) {
      results[kind].push(kind === 'ceiling' ? await ceilingOnce(pages) : await torrentOnce(kind, pages, tracker, data))
    }
  }
  const after = machine()
  const m = (kind, key) => results[kind]?.length ? median(results[kind].map(r => r[key])) : NaN
  const ceiling = m('ceiling', 'mibps')
  const names = {
    ceiling: 'raw data channel',
    shoal: 'Shoal → Shoal',
    'shoal-before': 'Shoal → Shoal, before',
    webtorrent: 'WebTorrent → WebTorrent',
    'shoal-wt': 'Shoal → WebTorrent',
    native: '`shoal seed` → Shoal',
    'native-wt': '`shoal seed` → WebTorrent'
  }
  const nameOf = k => names[k] ?? `${nativeCount(k)} × \`shoal seed\` → Shoal`
  const cell = (kind, key, fmt) => Number.isNaN(m(kind, key)) ? '—' : fmt(m(kind, key))
  const row = (label, key, fmt) => `| ${label} | ${kinds.map(k => cell(k, key, fmt)).join(' | ')} |`
  const s = v => secs(v)
  const c = v => v.toFixed(2)
  const share = kind => `${nameOf(kind)} ${(100 * m(kind, 'mibps') / ceiling).toFixed(0)} %`
  const cpuPerMiB = kind => ((m(kind, 'seederCpu') + m(kind, 'leecherCpu')) / (SIZE / MiB) * 1000).toFixed(0)
  console.log(`
### Browser to browser against the data channel's ceiling (issue 17)

Measured ${before.date.slice(0, 16).replace('T', ' ')} UTC on ${before.nproc} × ${before.model}, ${before.chromium};
load average ${before.load} before, ${after.load} after. ${SIZE / MiB} MiB of random bytes; every side in fresh
headless Chromium processes of its own (seeder, leecher) on loopback; ${RUNS} rounds, the order rotated each round;
median shown. Raw data channel: ${CHUNK / 1024} KiB messages with bufferedAmount back-pressure. Shoal: \`Client::seed\`
in one page, the player's path (Client → metadata → Reader, in order from byte 0) in the other. WebTorrent: 3.0.21
\`client.seed\` and \`client.add\` → the file's iterator. \`shoal seed\`: the companion's native WebRTC peer (its
CPU is the seeder's). One \`shoal tracker\` for all.

| figure (median of ${RUNS}) | ${kinds.map(nameOf).join(' | ')} |
|${kinds.map(() => '---|').join('')}---|
${row('MiB/s after metadata (raw channel: whole transfer)', 'mibps', v => v.toFixed(1))}
${row('time to metadata, s', 'metadataMs', s)}
${row(`time to the first ${FIRST / MiB} MiB in order, s`, 'firstMs', s)}
${row('time to completion, s', 'doneMs', s)}
${row('seeder CPU, s (renderer; `shoal seed`: the process)', 'seederCpu', c)}
${row('leecher renderer CPU, s', 'leecherCpu', c)}
${row('leecher main-thread busy, s', 'mainThread', c)}

Share of the raw channel's rate: ${kinds.filter(k => k !== 'ceiling').map(share).join('; ')} (goal ≥ 85 % for Shoal → Shoal
and \`shoal seed\` → Shoal). CPU per MiB (seeder + leecher, ms): ${kinds.map(k => `${nameOf(k)} ${cpuPerMiB(k)}`).join('; ')}
(goal: Shoal → Shoal at most half of WebTorrent → WebTorrent).
Runs (MiB/s): ${kinds.map(k => `${nameOf(k)} ${results[k].map(r => r.mibps.toFixed(1)).join(', ')}`).join('; ')}.
Command: \`node bench/browser/p2p-ceiling.mjs\` (SIZE_MIB=${SIZE / MiB}, RUNS=${RUNS}, CHUNK_KIB=${CHUNK / 1024}, KINDS=${kinds.join(',')}).
`)
}

main().then(cleanup, async err => { console.error(err); await cleanup(); process.exit(1) })
