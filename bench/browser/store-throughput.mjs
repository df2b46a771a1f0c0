// Benchmark (issue 14): the download store in Chromium. The app's /play page streams a video
// (made by ffmpeg, noise at a high bitrate) from a WebTorrent 3 seeder page (SOURCE=peer, the
// default) or an HTTP web seed on loopback (SOURCE=webseed, 1 MiB pieces) while the runtime
// writes every verified piece to IndexedDB. Measured, per run, in a fresh
// browser profile:
//   - download rate: verified bytes over the time from the first to the last verified piece;
//   - store write rate: bytes in the store over the time from the first stored byte until the
//     store holds the whole file (the store keeping up means the two are close);
//   - the longest main-thread task while storing (PerformanceObserver 'longtask', from the
//     first stored byte to the whole file stored);
//   - IndexedDB's own write rate for the same batch shape (64 × 1 MiB, 8 a transaction, JS);
//   - raw IndexedDB read rate of the stored records (the pieces of the torrent read back one
//     record a get, as the runtime does, timed in the page);
//   - time to first frame from the web seed (first play) and from the store (after a reload).
//
//   SHOAL_BIN=target/debug/shoal node bench/browser/store-throughput.mjs   (after trunk build)
//   (env: SECONDS=64 of 16 Mbit/s video ≈ 122 MiB, RUNS=3)
//
// Prints each run and a Markdown table for docs/benchmarks.md. Never run by CI.
import { makeTorrent, makeVideo, startFixtureServer } from '../../tests/support/player-fixtures.mjs'
import { startServe } from '../../tests/support/shoal.mjs'
import { launchWebRtcBrowser, startTracker } from '../../tests/support/tracker.mjs'
import { machine, median, MiB, withTimeout } from './common.mjs'

const SECONDS = Number(process.env.SECONDS ?? 64)
const RUNS = Number(process.env.RUNS ?? 3)
const SETTINGS = JSON.stringify({ trackers: [], ice_servers: [] })
// `peer`: a WebTorrent 3 page seeds the file (the engine fetches everything as fast as the peer
// sends); `webseed`: only an HTTP web seed (fetched as the player reads).
const SOURCE = process.env.SOURCE ?? 'peer'

// Records the longest task of the page (installed before the app loads).
const LONGTASKS = `
  window.__tasks = []
  new PerformanceObserver(list => {
    for (const e of list.getEntries()) window.__tasks.push([e.startTime, e.duration])
  }).observe({ type: 'longtask', buffered: true })
`

// Reads every record of `hash` from the store, one get a piece; resolves with {bytes, ms}.
async function readBack (hash) {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('shoal-store')
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
  const keys = await new Promise((resolve, reject) => {
    const r = db.transaction('pieces').objectStore('pieces')
      .getAllKeys(IDBKeyRange.bound([hash, 0], [hash, Infinity]))
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
  const start = performance.now()
  let bytes = 0
  for (const key of keys) {
    bytes += await new Promise((resolve, reject) => {
      const r = db.transaction('pieces').objectStore('pieces').get(key)
      r.onsuccess = () => resolve(r.result.byteLength)
      r.onerror = () => reject(r.error)
    })
  }
  const ms = performance.now() - start
  db.close()
  return { bytes, ms, records: keys.length }
}

// Writes `count` records of 1 MiB in transactions of 8 (the runtime's batch), timed in the
// page: IndexedDB's own write rate here, for comparison with the pipeline's.
async function rawWrites (count) {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open('shoal-bench-raw', 1)
    r.onupgradeneeded = () => r.result.createObjectStore('pieces')
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
  const piece = new Uint8Array(1 << 20)
  crypto.getRandomValues(piece.subarray(0, 65536))
  const start = performance.now()
  for (let i = 0; i < count; i += 8) {
    await new Promise((resolve, reject) => {
      const tx = db.transaction('pieces', 'readwrite')
      for (let j = i; j < Math.min(count, i + 8); j++) tx.objectStore('pieces').put(piece.slice().buffer, ['raw', j])
      tx.oncomplete = resolve
      tx.onerror = () => reject(tx.error)
    })
  }
  const ms = performance.now() - start
  db.close()
  return { bytes: count << 20, ms }
}

async function once (serve, fixtures, torrent, size) {
  const browser = await launchWebRtcBrowser()
  try {
    const base = serve.url.replace(/\/$/, '')
    let src = torrent.url
    let settings = SETTINGS
    if (SOURCE === 'peer') {
      // A WebTorrent 3 page seeds the file; Shoal finds it through the tracker.
      await browser.grant(fixtures.origin)
      await browser.grant(base)
      const seeder = await browser.context.newPage()
      await seeder.goto(fixtures.origin + '/')
      await seeder.waitForFunction(() => typeof window.wt === 'object')
      src = await withTimeout(seeder.evaluate(async ({ tracker }) => {
        const bytes = new Uint8Array(await (await fetch('/bench.mp4')).arrayBuffer())
        return window.wt.seed(bytes, 'bench.mp4', { announce: [tracker] })
      }, { tracker: tracker.url }), 120_000, 'seeding')
      settings = JSON.stringify({ trackers: [tracker.url], ice_servers: [] })
    }
    const page = await browser.context.newPage()
    await page.addInitScript(LONGTASKS)
    await page.goto(serve.url)
    await page.evaluate(s => localStorage.setItem('shoal.settings', s), settings)
    await page.goto(`${base}/play?src=${encodeURIComponent(src)}`)
    const samples = []
    const t0 = Date.now()
    let storingSince = null
    for (;;) {
      const s = await page.evaluate(() => window.shoal?.stats?.() ?? null)
      if (storingSince === null && s?.store_bytes > 0) storingSince = await page.evaluate(() => performance.now())
      if (s && s.pieces_total) {
        samples.push({ t: Date.now() - t0, verified: s.pieces_verified, total: s.pieces_total, stored: s.store_bytes, ttff: s.time_to_first_frame_ms })
        if (s.pieces_verified === s.pieces_total && s.store_bytes >= size) break
      }
      if (Date.now() - t0 > 600_000) throw new Error('the file was not stored within 10 minutes')
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const first = samples.find(x => x.verified > 0)
    const done = samples.find(x => x.verified === x.total)
    const firstStored = samples.find(x => x.stored > 0)
    const last = samples[samples.length - 1]
    const plen = size / last.total
    const downloadMiBs = ((done.verified - first.verified) * plen / MiB) / ((done.t - first.t) / 1000)
    const writeMiBs = (last.stored / MiB) / ((last.t - firstStored.t) / 1000)
    const longestMs = await page.evaluate(since => Math.max(0, ...window.__tasks.filter(([start, d]) => start + d >= since).map(([, d]) => d)), storingSince)
    const ttffNet = last.ttff
    const hash = await page.evaluate(() => window.shoal.stats().info_hash)
    const read = await withTimeout(page.evaluate(readBack, hash), 300_000, 'reading back')
    const raw = await withTimeout(page.evaluate(rawWrites, 64), 300_000, 'raw writes')
    await page.reload()
    await withTimeout(page.waitForFunction(() => window.shoal?.stats?.()?.time_to_first_frame_ms > 0, null, { timeout: 0, polling: 100 }), 60_000, 'replay')
    const replay = await page.evaluate(() => window.shoal.stats())
    return {
      downloadMiBs,
      writeMiBs,
      lagMs: last.t - done.t,
      longestMs,
      readMiBs: (read.bytes / MiB) / (read.ms / 1000),
      rawWriteMiBs: (raw.bytes / MiB) / (raw.ms / 1000),
      records: read.records,
      ttffNet,
      ttffStore: replay.time_to_first_frame_ms,
      replayNetworkBytes: replay.bytes_from_http + replay.bytes_from_peers
    }
  } finally {
    await browser.close()
  }
}

const video = makeVideo(SECONDS, { bitrate: '16M' })
const tracker = await startTracker()
const serve = await startServe()
const fixtures = await startFixtureServer({ '/bench.mp4': video.file })
const t = makeTorrent(video, { webseeds: [`${fixtures.origin}/bench.mp4`], pieceLength: MiB })
fixtures.addFile('/bench.mp4.torrent', t.torrentFile)
const torrent = { url: `${fixtures.origin}/bench.mp4.torrent` }
const size = video.bytes.length
const runs = []
try {
  for (let i = 0; i < RUNS; i++) {
    const r = await once(serve, fixtures, torrent, size)
    console.log(`run ${i + 1}:`, JSON.stringify(r))
    runs.push(r)
  }
} finally {
  await fixtures.stop()
  await serve.stop()
  await tracker.stop()
  video.cleanup()
}
const m = k => median(runs.map(r => r[k]))
const env = machine()
console.log(`\n${(size / MiB).toFixed(0)} MiB video from ${SOURCE === 'peer' ? 'a WebTorrent 3 seeder page over loopback WebRTC' : 'an HTTP web seed on loopback (1 MiB pieces)'}; ${env.nproc} cores (${env.model}), load ${env.load}, ${env.chromium}, ${env.date}; median of ${RUNS} runs\n`)
console.log('| what | median | runs |\n|---|---|---|')
const row = (what, k, unit, digits = 1) => console.log(`| ${what} | ${m(k).toFixed(digits)} ${unit} | ${runs.map(r => r[k].toFixed(digits)).join(', ')} |`)
row('download rate (source → verified pieces)', 'downloadMiBs', 'MiB/s')
row('store write rate (first stored byte → whole file stored)', 'writeMiBs', 'MiB/s')
row('store finished after the last piece verified', 'lagMs', 'ms', 0)
row('longest main-thread task while storing (first stored byte → whole file stored)', 'longestMs', 'ms', 0)
row('IndexedDB read-back of the stored pieces, one get a piece', 'readMiBs', 'MiB/s')
row('IndexedDB alone, 64 MiB written in transactions of 8 × 1 MiB (JS)', 'rawWriteMiBs', 'MiB/s')
row('time to first frame, first play (network)', 'ttffNet', 'ms', 0)
row('time to first frame, after a reload (store)', 'ttffStore', 'ms', 0)
console.log(`\nreplay network bytes: ${runs.map(r => r.replayNetworkBytes).join(', ')}`)
