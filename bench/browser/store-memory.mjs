// Benchmark (issue 14): page memory while a page reads a large torrent in order from a native
// seeder (`shoal seed`), Shoal with its download store against WebTorrent 3 (the reference),
// same file, same seeder, same run. Each reader is a fresh headless Chromium of its own (one
// page, so one renderer process) and reads the whole file from byte 0 in order, dropping each
// chunk once counted:
//   - Shoal: `read_stored` of crates/runtime/examples/interop_harness.rs (built here with the
//     app's `wasm-release` profile): the runtime's Client with the IndexedDB store open, the
//     default 32 MiB memory budget (24 MiB window, 8 MiB in flight), a Reader over the file
//     (the player's calls);
//   - WebTorrent 3.0.21 (npm browser bundle): `client.add`, then `for await` over its file
//     (its default chunk store in Chromium: OPFS through fsa-chunk-store, 20 pieces cached).
// Measured per run: the renderer's resident memory (VmRSS from /proc, with the pid Chromium
// reports through CDP SystemInfo.getProcessInfo) every 2 s, its peak (VmHWM), the page's own
// figure from `performance.measureUserAgentSpecificMemory()` at the end (the pages are served
// cross-origin isolated so it exists), the read time, and for Shoal its wasm memory size.
//
//   SHOAL_BIN=target/release/shoal node bench/browser/store-memory.mjs
//   (env: SIZE_MIB=4096, RUNS=1, CARGO_TARGET_DIR; ONLY=shoal,webtorrent picks the readers;
//   READ_MIB_S=N makes every reader read no faster than N MiB/s, as a player does at the
//   video's bitrate (default 0: as fast as the bytes come);
//   BEFORE=DIR adds a reader `before`: the harness already built in DIR by wasm-bindgen, e.g.
//   from an older commit, read in the same run as this tree's so a change is measured against
//   the same seeder, disk and load)
//
// The file is pseudo-random, written to /tmp and deleted at the end. It needs SIZE free for the
// file plus SIZE for the copy the reader keeps (Shoal's IndexedDB or WebTorrent's OPFS, each
// deleted with its browser profile after its run) plus 2 GiB: with less free disk the size is
// lowered to what fits, and the output says so. Never run by CI.
import { spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { closeSync, createReadStream, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { createInterface } from 'node:readline'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { root, shoalBin, spawnShoal } from '../../tests/support/shoal.mjs'
import { startTracker } from '../../tests/support/tracker.mjs'
import { buildReleaseHarness, launchChromium, machine, median, MiB, residentMemory as rss, scratch, withTimeout } from './common.mjs'

const GiB = 1024 * MiB
const WANTED = Number(process.env.SIZE_MIB ?? 4096) * MiB
const RUNS = Number(process.env.RUNS ?? 1)
const NAME = 'bench-4g.bin'
const GOAL = 256 * MiB
const SAMPLE_MS = 2000
// Bytes per second a reader may read (0: no limit).
const READ_RATE = Number(process.env.READ_MIB_S ?? 0) * MiB

const tmp = scratch('store-memory')
const cleanups = []
async function cleanup () {
  while (cleanups.length) await cleanups.pop()().catch(() => {})
  tmp.cleanup()
}
let stopping = false
process.on('SIGINT', () => { stopping = true })


/** Free bytes on the file system of `dir`. */
function freeBytes (dir) {
  const out = spawnSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).stdout
  return Number(out.trim().split('\n').pop())
}

/** The size to use: SIZE_MIB, or the largest multiple of 256 MiB that fits the free disk. */
function pickSize () {
  const free = freeBytes(tmpdir())
  const fits = Math.floor(Math.max(0, free - 2 * GiB) / 2 / (256 * MiB)) * 256 * MiB
  return { size: Math.min(WANTED, fits), free, lowered: fits < WANTED }
}

/** Writes `size` pseudo-random bytes to `file`, 64 MiB at a time (never all in memory). */
function writeRandomFile (file, size) {
  const fd = openSync(file, 'w')
  const block = Buffer.alloc(64 * MiB)
  try {
    for (let at = 0; at < size; at += block.length) {
      const n = Math.min(block.length, size - at)
      randomFillSync(block, 0, n)
      writeSync(fd, block, 0, n)
    }
  } finally {
    closeSync(fd)
  }
}


const shoalPage = dir => '<!doctype html><meta charset="utf-8"><title>Shoal runtime</title>' +
  `<script type="module">import init, { read_stored } from "/${dir}/interop_harness.js";` +
  ' await init(); window.shoalReadStored = read_stored</script>'
const wtPage = '<!doctype html><meta charset="utf-8"><title>WebTorrent 3</title>' +
  '<script type="module">import WebTorrent from "/webtorrent.min.js"; window.WebTorrent = WebTorrent</script>'

/** The pages, cross-origin isolated (so `measureUserAgentSpecificMemory` exists). */
async function startPages (harness, before) {
  const routes = {
    '/shoal': ['text/html', () => shoalPage('harness')],
    '/before': ['text/html', () => shoalPage('before')],
    '/before/interop_harness.js': ['text/javascript', () => readFileSync(path.join(before ?? harness, 'interop_harness.js'))],
    '/before/interop_harness_bg.wasm': ['application/wasm', () => readFileSync(path.join(before ?? harness, 'interop_harness_bg.wasm'))],
    '/wt': ['text/html', () => wtPage],
    '/webtorrent.min.js': ['text/javascript', () => readFileSync(path.join(root, 'node_modules/webtorrent/dist/webtorrent.min.js'))],
    '/harness/interop_harness.js': ['text/javascript', () => readFileSync(path.join(harness, 'interop_harness.js'))],
    '/harness/interop_harness_bg.wasm': ['application/wasm', () => readFileSync(path.join(harness, 'interop_harness_bg.wasm'))]
  }
  const server = http.createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname]
    if (!route) return res.writeHead(404).end()
    const isolation = process.env.ISOLATE === '0'
      ? {}
      : { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    res.writeHead(200, { 'content-type': route[0], ...isolation }).end(route[1]())
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) })
  }
}

/** Whether renderer `pid` draws the browser's own UI (`--top-chrome-webui`), not a page. */
function browserUi (pid) {
  try {
    return /--top-chrome-webui|--extension-process/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))
  } catch {
    return true
  }
}

/**
 * Resident memory of the renderer processes of `chrome`, as {rss, hwm, pids}: the largest
 * VmRSS and VmHWM among them, leaving out the renderer of the browser's own UI. One page is
 * open, so the largest is the page's (Chromium also keeps a spare renderer, ~75 MiB, which is
 * why no single pid is trusted).
 */
async function rendererMemory (cdp) {
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo')
  const pids = processInfo.filter(p => p.type === 'renderer' && !browserUi(p.id)).map(p => p.id)
  const m = pids.map(rss)
  const page = m.reduce((a, b) => (b.rss > a.rss ? b : a), rss(-1))
  const pid = pids[m.indexOf(page)] ?? null
  return { rss: page.rss, hwm: Math.max(0, ...m.map(x => x.hwm)), anon: page.anon, file: page.file, shmem: page.shmem, pids, pid }
}

/**
 * DUMPS=1: Chromium's own memory accounting per allocator (the `memory-infra` trace: malloc,
 * PartitionAlloc's partitions, V8, Oilpan, shared memory…), one dump per sample, read when the
 * run ends: where the renderer's memory outside the JS heap and the wasm memory sits.
 */
async function startDumps (cdp) {
  await cdp.send('Tracing.start', {
    traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], memoryDumpConfig: { triggers: [] } },
    transferMode: 'ReturnAsStream'
  })
  const times = []
  return {
    async request (t) {
      // A dump can hang for good (seen on this loaded machine): then no more dumps this run.
      if (this.stuck) return
      const r = await withTimeout(cdp.send('Tracing.requestMemoryDump', { deterministic: false, levelOfDetail: 'light' }), 20_000, 'a memory dump')
        .catch(e => { this.stuck = String(e); return null })
      if (r?.success) times.push({ guid: r.dumpGuid, t })
    },
    /** MiB per allocator of process `pid`, per dump: [{t, sizes: {name: MiB}}]. */
    async finish (pid) {
      const complete = new Promise(resolve => cdp.once('Tracing.tracingComplete', resolve))
      await withTimeout(cdp.send('Tracing.end'), 60_000, 'ending the memory trace')
      const { stream } = await withTimeout(complete, 120_000, 'the memory trace')
      // The trace of a long run is larger than a JS string may be: it goes to a file, and is
      // read back an event a line (Chromium writes one trace event per line).
      const file = path.join(tmp.dir, 'memory-trace.json')
      const fd = openSync(file, 'w')
      for (;;) {
        const chunk = await cdp.send('IO.read', { handle: stream, size: 1 << 20 })
        writeSync(fd, chunk.base64Encoded ? Buffer.from(chunk.data, 'base64') : Buffer.from(chunk.data, 'utf8'))
        if (chunk.eof) break
      }
      closeSync(fd)
      await cdp.send('IO.close', { handle: stream })
      const events = []
      for await (const line of createInterface({ input: createReadStream(file) })) {
        if (!line.includes('"ph":"v"') || !line.includes(`"pid":${pid}`)) continue
        try { events.push(JSON.parse(line.replace(/^[[{]*"traceEvents":\[/, '').replace(/,\s*$/, ''))) } catch {}
      }
      rmSync(file, { force: true })
      const at = new Map(times.map(x => [x.guid, x.t]))
      const out = []
      for (const e of events) {
        const allocators = e.ph === 'v' && e.pid === pid ? e.args?.dumps?.allocators : null
        if (!allocators) continue
        const sizes = {}
        for (const [name, a] of Object.entries(allocators)) {
          const depth = name.split('/').length
          const keep = depth === 1 || (name.startsWith('partition_alloc/partitions/') && depth === 3) ||
            (name.startsWith('v8/main/heap') && depth === 4) || name === 'v8/main/malloc'
          const v = a.attrs?.size?.value
          if (keep && v !== undefined) sizes[name] = Number(BigInt('0x' + v)) / MiB
        }
        out.push({ t: at.get(e.id) ?? null, sizes })
      }
      return out
    }
  }
}

// Starts the read in the page; progress goes to window.__progress = {read, ...}.
function startShoal (page, magnet, tracker, storeLimit) {
  return page.evaluate(({ magnet, tracker, storeLimit, rate }) => {
    window.__progress = { read: 0 }
    window.__result = null
    window.shoalReadStored(magnet, tracker, storeLimit, rate).then(
      r => { window.__result = { length: r.length, metadataMs: r.metadataMs, doneMs: r.doneMs, fromPeers: r.bytesFromPeers, storeBytes: r.storeBytes, wasmBytes: r.wasmBytes, notice: r.notice } },
      e => { window.__result = { error: String(e) } })
  }, { magnet, tracker, storeLimit, rate: READ_RATE })
}

function startWebTorrent (page, magnet, tracker) {
  return page.evaluate(({ magnet, tracker, rate }) => {
    window.__progress = { read: 0 }
    window.__result = null
    const start = performance.now()
    const client = new window.WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
    window.client = client
    const torrent = client.add(magnet, { announce: [tracker] })
    const fail = e => { window.__result = { error: String(e) } }
    client.on('error', fail)
    torrent.on('error', fail)
    torrent.on('ready', async () => {
      const metadataMs = performance.now() - start
      try {
        let read = 0
        const from = performance.now()
        for await (const chunk of torrent.files[0]) {
          read += chunk.length
          window.__progress = { read, fromPeers: torrent.downloaded }
          const wait = rate > 0 ? from + read * 1000 / rate - performance.now() : 0
          if (wait >= 1) await new Promise(resolve => setTimeout(resolve, Math.min(wait, 60_000)))
        }
        window.__result = { length: read, metadataMs, doneMs: performance.now() - start, fromPeers: torrent.downloaded }
      } catch (e) { fail(e) }
    })
  }, { magnet, tracker, rate: READ_RATE })
}

/** The page's own memory figure (bytes), or null when the browser gives none within 60 s. */
async function pageMemory (page) {
  return withTimeout(page.evaluate(async () => {
    if (!window.crossOriginIsolated || !performance.measureUserAgentSpecificMemory) return null
    return (await performance.measureUserAgentSpecificMemory()).bytes
  }), 60_000, 'measureUserAgentSpecificMemory').catch(() => null)
}

async function once (kind, pages, tracker, magnet, size) {
  const chrome = await launchChromium()
  cleanups.push(() => chrome.close())
  try {
    const { page, errors } = await chrome.open(`${pages.origin}/${kind === 'webtorrent' ? 'wt' : kind}`)
    page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') console.error(`${kind} page: ${m.text()}`) })
    await page.waitForFunction(() => typeof (window.shoalReadStored ?? window.WebTorrent) === 'function')
    const cdp = await chrome.browser.newBrowserCDPSession()
    const pageCdp = await chrome.context.newCDPSession(page)
    await pageCdp.send('Performance.enable')
    const jsHeap = async () => {
      const { metrics } = await pageCdp.send('Performance.getMetrics')
      return metrics.find(x => x.name === 'JSHeapTotalSize')?.value ?? 0
    }
    // V8's own accounting: the JS heap in use and the bytes of ArrayBuffer backing stores
    // alive (garbage not yet collected included), which the wasm memory is one of.
    const v8Usage = async () => {
      const u = await pageCdp.send('Runtime.getHeapUsage').catch(() => ({}))
      return { used: u.usedSize ?? 0, buffers: u.backingStorageSize ?? null, embedder: u.embedderHeapUsedSize ?? null }
    }
    const idle = (await rendererMemory(cdp)).rss
    const dumps = process.env.DUMPS ? await startDumps(cdp) : null
    const t0 = Date.now()
    if (kind !== 'webtorrent') await startShoal(page, magnet, tracker.url, size + 256 * MiB)
    else await startWebTorrent(page, magnet, tracker.url)
    const samples = []
    let result = null
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, SAMPLE_MS))
      if (stopping) throw new Error('interrupted')
      const [progress, r, phase] = await page.evaluate(() => [window.__shoalProgress ?? window.__progress, window.__result, window.__shoalPhase])
      const m = await rendererMemory(cdp)
      if (dumps) await dumps.request(Date.now() - t0)
      const heap = await jsHeap()
      const v8 = await v8Usage()
      samples.push({ t: Date.now() - t0, read: progress?.read ?? 0, rss: m.rss, anon: m.anon, file: m.file, shmem: m.shmem, heap, buffers: v8.buffers, embedder: v8.embedder, wasm: progress?.wasmBytes ?? null })
      if (samples.length % Number(process.env.LOG_EVERY ?? 15) === 0) {
        console.error(`${kind}${phase ? ` (${phase})` : ''}: ${((Date.now() - t0) / 1000).toFixed(0)} s, read ${(samples.at(-1).read / MiB).toFixed(0)} MiB, renderer RSS ${(m.rss / MiB).toFixed(0)} MiB (anon ${(m.anon / MiB).toFixed(0)}, file ${(m.file / MiB).toFixed(0)}, shmem ${(m.shmem / MiB).toFixed(0)}), JS heap ${(heap / MiB).toFixed(0)} MiB` +
          (v8.buffers !== null ? `, ArrayBuffers ${(v8.buffers / MiB).toFixed(0)} MiB` : '') +
          (progress?.fromPeers !== undefined ? `, from peers ${(progress.fromPeers / MiB).toFixed(0)} MiB` : '') +
          (progress?.wasmBytes ? `, wasm ${(progress.wasmBytes / MiB).toFixed(0)} MiB, store ${(progress.storeBytes / MiB).toFixed(0)} MiB` : ''))
      }
      if (r) { result = r; break }
      if (Date.now() - t0 > 3 * 3600_000) throw new Error(`${kind}: no end after 3 h`)
    }
    // A reader that stops (WebTorrent 3 gives up on QuotaExceededError) is a result too: its
    // memory until then, and what stopped it.
    if (!result.error && result.length !== size) throw new Error(`${kind}: read ${result.length} of ${size} bytes`)
    if (errors.length) throw new Error(`${kind}: page errors: ${errors.join('; ')}`)
    const end = await rendererMemory(cdp)
    const uasm = result.error ? null : await pageMemory(page)
    if (dumps) {
      const byAllocator = await dumps.finish(end.pid).catch(e => { console.error(`${kind}: no memory dumps: ${e}`); return [] })
      if (dumps.stuck) console.error(`${kind}: dumps stopped: ${dumps.stuck}`)
      for (const d of byAllocator) {
        console.error(`${kind} dump at ${((d.t ?? 0) / 1000).toFixed(0)} s: ` + Object.entries(d.sizes)
          .filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '))
      }
    }
    // The sample with the highest RSS, as the kernel splits it (where a swing lives).
    const top = samples.reduce((a, b) => (b.rss > a.rss ? b : a), samples[0])
    const out = {
      kind,
      atPeak: { t: top.t, read: top.read, rss: top.rss, anon: top.anon, file: top.file, shmem: top.shmem, buffers: top.buffers, wasm: top.wasm },
      anonMedian: median(samples.map(s => s.anon)),
      shmemMedian: median(samples.map(s => s.shmem)),
      shmemPeak: Math.max(...samples.map(s => s.shmem)),
      size,
      idleRss: idle,
      peakRss: Math.max(end.hwm, ...samples.map(s => s.rss)),
      medianRss: median(samples.map(s => s.rss)),
      endRss: end.rss,
      pageMemory: uasm,
      wasmBytes: result.wasmBytes ?? null,
      storeBytes: result.storeBytes ?? null,
      notice: result.notice ?? null,
      error: result.error ?? null,
      read: result.error ? samples.at(-1).read : size,
      mibps: result.error ? NaN : size / MiB / ((result.doneMs - result.metadataMs) / 1000),
      doneMs: result.doneMs,
      fromPeers: result.fromPeers,
      samples: samples.length,
      // Bytes of ArrayBuffers alive (V8's backing stores, the wasm memory included): median
      // and peak over the samples; null when this Chromium does not report them.
      medianBuffers: samples.every(s => s.buffers !== null) ? median(samples.map(s => s.buffers)) : null,
      peakBuffers: samples.every(s => s.buffers !== null) ? Math.max(...samples.map(s => s.buffers)) : null
    }
    console.log(JSON.stringify(out))
    return out
  } finally {
    await chrome.close()
  }
}

async function main () {
  const { size, free, lowered } = pickSize()
  if (size < 256 * MiB) throw new Error(`only ${(free / GiB).toFixed(1)} GiB free: not enough for the benchmark`)
  console.error(`free disk ${(free / GiB).toFixed(1)} GiB; file ${(size / MiB)} MiB${lowered ? ` (lowered from ${WANTED / MiB} MiB to fit)` : ''}`)
  const harness = buildReleaseHarness(path.join(tmp.dir, 'harness'))
  const beforeDir = process.env.BEFORE ?? null
  const file = path.join(tmp.dir, NAME)
  writeRandomFile(file, size)
  const tracker = await startTracker()
  cleanups.push(() => tracker.stop())
  const seeder = await spawnShoal(['seed', file, '--tracker', tracker.url, '--cache-dir', path.join(tmp.dir, 'cache')], {
    ready: /^(magnet:\?\S+)$/m, what: 'shoal seed (waiting for its magnet)', timeoutMs: 900_000, log: 'info'
  })
  cleanups.push(() => seeder.stop())
  const magnet = seeder.found
  const pages = await startPages(harness, beforeDir)
  cleanups.push(() => pages.stop())
  const start = machine()
  const results = { shoal: [], webtorrent: [], before: [] }
  // ONLY=shoal or ONLY=webtorrent measures one side (for profiling; no ratio then); with
  // BEFORE the older harness runs too, alternating with the others.
  const kinds = (process.env.ONLY ? process.env.ONLY.split(',') : ['shoal', 'webtorrent'])
    .concat(beforeDir && !(process.env.ONLY ?? '').includes('before') ? ['before'] : [])
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? kinds : [...kinds].reverse()
    for (const kind of order) results[kind].push(await once(kind, pages, tracker, magnet, size))
  }
  const after = machine()
  const mibOf = v => v === null || v === undefined || Number.isNaN(v) ? '—' : (v / MiB).toFixed(0)
  const col = (kind, key) => `${results[kind].map(r => mibOf(r[key])).join(' / ')} (median ${mibOf(median(results[kind].map(r => r[key])))})`
  for (const kind of kinds) {
    console.log(`${kind}: peak RSS ${col(kind, 'peakRss')}, median RSS ${col(kind, 'medianRss')}, ` +
      `end RSS ${col(kind, 'endRss')}, wasm ${col(kind, 'wasmBytes')}, ArrayBuffers median ${col(kind, 'medianBuffers')}, peak ${col(kind, 'peakBuffers')}, ` +
      `MiB/s ${results[kind].map(r => r.mibps.toFixed(1)).join(' / ')}`)
  }
  console.log(`${start.date} → ${after.date}; load ${start.load} before, ${after.load} after; ${start.nproc} × ${start.model}; ${start.chromium}; ${size / MiB} MiB; read ${READ_RATE ? `at most ${READ_RATE / MiB} MiB/s` : 'as fast as the bytes come'}`)
  if (process.env.ONLY || !results.webtorrent.length || !results.shoal.length) return
  const before = start
  const m = (kind, key) => median(results[kind].map(r => r[key]))
  const mib = v => v === null || Number.isNaN(v) ? '—' : (v / MiB).toFixed(0)
  const row = (label, key) => `| ${label} | ${mib(m('shoal', key))} | ${mib(m('webtorrent', key))} | ${(m('shoal', key) / m('webtorrent', key)).toFixed(2)}× |`
  const uasm = kind => results[kind].every(r => r.pageMemory !== null) ? m(kind, 'pageMemory') : null
  console.log(`
### Page memory while reading ${size / MiB} MiB in order from a native seeder (issue 14)

Measured ${before.date.slice(0, 16).replace('T', ' ')} UTC on ${before.nproc} × ${before.model}, ${before.chromium};
load average ${before.load} before, ${after.load} after. ${lowered ? `**${size / MiB} MiB, not ${WANTED / MiB} MiB**: ${(free / GiB).toFixed(1)} GiB were free. ` : ''}One \`shoal seed\`
(${shoalBin}) seeds a pseudo-random file; each reader is a fresh headless Chromium reading it in
order from byte 0 over loopback WebRTC; ${RUNS} run(s) each${RUNS > 1 ? ', alternating; median shown' : ''}. Memory is the renderer process's
resident set (/proc, sampled every ${SAMPLE_MS / 1000} s; peak includes VmHWM). Goal: Shoal ≤ ${GOAL / MiB} MiB.

| MiB (median of ${RUNS}) | Shoal (store, 32 MiB window) | WebTorrent 3.0.21 | Shoal ÷ WebTorrent |
|---|---|---|---|
${row('renderer RSS, idle page before the read', 'idleRss')}
${row('renderer RSS, median while reading', 'medianRss')}
${row('**renderer RSS, peak**', 'peakRss')}
${row('renderer RSS at the end', 'endRss')}
| measureUserAgentSpecificMemory at the end | ${mib(uasm('shoal'))} | ${mib(uasm('webtorrent'))} | |
| Shoal's wasm memory at the end | ${mib(m('shoal', 'wasmBytes'))} | | |
| read rate after metadata, MiB/s | ${m('shoal', 'mibps').toFixed(1)} | ${m('webtorrent', 'mibps').toFixed(1)} | ${(m('shoal', 'mibps') / m('webtorrent', 'mibps')).toFixed(2)}× |

${['shoal', 'webtorrent'].flatMap(k => results[k].filter(r => r.error).map(r => `**${k} stopped after ${mib(r.read)} MiB: ${r.error}** (its figures cover the read until then).`)).join('\n')}
Runs (peak RSS, MiB): Shoal ${results.shoal.map(r => mib(r.peakRss)).join(', ')}; WebTorrent ${results.webtorrent.map(r => mib(r.peakRss)).join(', ')}.
Shoal's store held ${results.shoal.map(r => mib(r.storeBytes)).join(', ')} MiB at the end${results.shoal.some(r => r.notice) ? `; notice: ${results.shoal.find(r => r.notice).notice}` : ''}.
Command: \`SHOAL_BIN=${shoalBin} node bench/browser/store-memory.mjs\` (SIZE_MIB=${size / MiB}, RUNS=${RUNS}).
`)
}

main().then(cleanup, async err => { console.error(err); await cleanup(); process.exit(1) })
