// Benchmark (issue 14): what the size of an IndexedDB record does to the page's memory and to
// IndexedDB's rates, in Chromium, with nothing else in the page. For each record size, a fresh
// headless Chromium writes N MiB of pseudo-random bytes as the store does (2 MiB a transaction,
// each piece of 1 MiB cut into records of that size, each record copied into one reused
// buffer before `put`), then reads it back piece by piece as the store does (one transaction a
// piece, 4 pieces at a time; a piece of several records with one `getAll` over its key range),
// copying each value and detaching it (`transfer(0)`). Measured: the renderer's resident
// memory (VmRSS, /proc) after the writes and its highest sample (every 200 ms) during the
// reads, the browser process's too (IndexedDB's backend lives there), and both rates.
//
//   node bench/browser/idb-record-size.mjs   (env: N=300 MiB, SIZES=1048576,32768,16384, RUNS=1)
//
// Never run by CI.
import { alternateRuns, launchChromium } from './common.mjs'

const MiB = 1 << 20
const N = Number(process.env.N ?? 300)
const SIZES = (process.env.SIZES ?? `${MiB},${32 << 10},${16 << 10}`).split(',').map(Number)
const RUNS = Number(process.env.RUNS ?? 1)

async function once (origin, record) {
  const chrome = await launchChromium()
  try {
    const { page } = await chrome.open(origin)
    const mem = () => chrome.rss()
    const idle = await mem()
    const writeMs = await page.evaluate(async ({ N, record, MiB }) => {
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('record-size', 1)
        open.onupgradeneeded = () => open.result.createObjectStore('pieces')
        open.onsuccess = () => resolve(open.result)
        open.onerror = reject
      })
      window.db = db
      const piece = new Uint8Array(MiB)
      const scratch = new Uint8Array(record)
      const t0 = performance.now()
      for (let p = 0; p < N; p += 2) {
        const tx = db.transaction('pieces', 'readwrite')
        for (const q of [p, p + 1]) {
          crypto.getRandomValues(piece.subarray(0, 65536))
          piece[0] = q
          for (let c = 0; c * record < MiB; c++) {
            scratch.set(piece.subarray(c * record, (c + 1) * record))
            tx.objectStore('pieces').put(scratch.buffer, [q, c])
          }
        }
        await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = reject })
      }
      return performance.now() - t0
    }, { N, record, MiB })
    const written = await mem()
    const t1 = Date.now()
    await page.evaluate(({ N }) => {
      window.done = false
      const read = p => new Promise(resolve => {
        const r = window.db.transaction('pieces').objectStore('pieces').getAll(IDBKeyRange.bound([p, 0], [p, Infinity]))
        r.onsuccess = () => resolve(r.result)
      })
      ;(async () => {
        const wasm = new Uint8Array(1 << 20)
        for (let p = 0; p < N; p += 4) {
          for (const values of await Promise.all([p, p + 1, p + 2, p + 3].map(read))) {
            let at = 0
            for (const v of values) {
              wasm.set(new Uint8Array(v), at)
              at += v.byteLength
              v.transfer(0)
            }
          }
        }
        window.done = true
      })()
    }, { N })
    let peak = await mem()
    while (!(await page.evaluate(() => window.done))) {
      await new Promise(resolve => setTimeout(resolve, 200))
      const m = await mem()
      peak = { renderer: Math.max(peak.renderer, m.renderer), browser: Math.max(peak.browser, m.browser) }
    }
    const readMs = Date.now() - t1
    const out = { record, idle, written, peak, writeMibps: N / (writeMs / 1000), readMibps: N / (readMs / 1000) }
    console.error(JSON.stringify(out))
    return out
  } finally {
    await chrome.close()
  }
}

const { rows, start, end } = await alternateRuns('<!doctype html><title>record size</title>', RUNS, SIZES, once)
const m = v => (v / MiB).toFixed(0)
console.log(`| record | renderer idle | after writing ${N} MiB | peak while reading them | browser process peak | write MiB/s | read MiB/s |`)
console.log('|---|---|---|---|---|---|---|')
for (const r of rows) {
  console.log(`| ${r.record >> 10} KiB | ${m(r.idle.renderer)} | ${m(r.written.renderer)} | ${m(r.peak.renderer)} | ${m(r.peak.browser)} | ${r.writeMibps.toFixed(0)} | ${r.readMibps.toFixed(0)} |`)
}
console.log(`${start.date} → ${end.date}; load ${start.load} before, ${end.load} after; ${start.nproc} × ${start.model}; ${start.chromium}`)
