// Benchmark (issue 14): should the store keep its bytes in OPFS files, with IndexedDB as the
// index only? The issue asks for that if a measurement shows OPFS to be much faster. For each
// backend a fresh headless Chromium writes N MiB of pseudo-random pieces of 1 MiB as the store
// writes them (2 MiB a batch), then reads them back a piece at a time, 4 pieces at once, as the
// store reads them for a reader, copying each into one wasm-sized buffer:
//
// - `idb`: what the store does today (crates/runtime/src/store/idb.rs): one IndexedDB
//   transaction a batch, each piece cut into 32 KiB records copied into one reused buffer
//   before `put`; a piece read back with one `getAll` over its key range, each value detached.
// - `opfs-sync`: one OPFS file per torrent, written and read through a
//   `FileSystemSyncAccessHandle` (the fast OPFS path, which exists only in a dedicated worker):
//   the page transfers each batch to the worker, which writes it at the pieces' offsets and
//   flushes once a batch; a read is a message to the worker, which reads into a new buffer and
//   transfers it back.
// - `opfs-async`: one OPFS file per piece, written from the page with `createWritable()` and
//   read with `getFile()` + `arrayBuffer()` (no worker; every `close()` commits a file).
//
// Measured: write and read MiB/s (page clock), the renderer's resident memory (VmRSS, /proc:
// the page and its worker) after the writes and its highest sample (every 200 ms) during the
// reads, and the page's longest main-thread task while writing (Long Tasks API).
//
//   node bench/browser/opfs-vs-idb.mjs   (env: N=256 MiB, BACKENDS=idb,opfs-sync,opfs-async, RUNS=3)
//
// Runs alternate the backends. Never run by CI; nothing here asserts a time.
import { alternateRuns, launchChromium, median } from './common.mjs'

const MiB = 1 << 20
const N = Number(process.env.N ?? 256)
const BACKENDS = (process.env.BACKENDS ?? 'idb,opfs-sync,opfs-async').split(',')
const RUNS = Number(process.env.RUNS ?? 3)

// The worker that owns the OPFS file's sync access handle.
const WORKER = `
let handle
onmessage = async ({ data }) => {
  if (data.op === 'open') {
    const root = await navigator.storage.getDirectory()
    const file = await root.getFileHandle('torrent.bin', { create: true })
    handle = await file.createSyncAccessHandle()
    postMessage({ id: data.id })
  } else if (data.op === 'write') {
    for (const { at, bytes } of data.pieces) handle.write(new Uint8Array(bytes), { at })
    handle.flush()
    postMessage({ id: data.id })
  } else if (data.op === 'read') {
    const out = new Uint8Array(data.len)
    handle.read(out, { at: data.at })
    postMessage({ id: data.id, bytes: out.buffer }, [out.buffer])
  }
}`

// Runs in the page: the three backends behind one shape.
const PAGE = `
const MiB = 1 << 20
const RECORD = 32 << 10
async function backend (name) {
  if (name === 'idb') {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open('bench', 1)
      open.onupgradeneeded = () => open.result.createObjectStore('pieces')
      open.onsuccess = () => resolve(open.result)
      open.onerror = reject
    })
    const scratch = new Uint8Array(RECORD)
    return {
      async write (batch) {
        const tx = db.transaction('pieces', 'readwrite')
        for (const { index, bytes } of batch) {
          for (let c = 0; c * RECORD < bytes.length; c++) {
            scratch.set(bytes.subarray(c * RECORD, (c + 1) * RECORD))
            tx.objectStore('pieces').put(scratch.buffer, [index, c])
          }
        }
        await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onabort = reject })
      },
      read (index, into) {
        return new Promise((resolve, reject) => {
          const r = db.transaction('pieces').objectStore('pieces').getAll(IDBKeyRange.bound([index, 0], [index, Infinity]))
          r.onsuccess = () => {
            let at = 0
            for (const v of r.result) { into.set(new Uint8Array(v), at); at += v.byteLength; v.transfer(0) }
            resolve()
          }
          r.onerror = reject
        })
      }
    }
  }
  if (name === 'opfs-sync') {
    const worker = new Worker(URL.createObjectURL(new Blob([${JSON.stringify(WORKER)}], { type: 'text/javascript' })))
    let next = 0
    const waiting = new Map()
    worker.onmessage = ({ data }) => { waiting.get(data.id)(data); waiting.delete(data.id) }
    const ask = (message, transfer = []) => new Promise(resolve => {
      const id = next++
      waiting.set(id, resolve)
      worker.postMessage({ ...message, id }, transfer)
    })
    await ask({ op: 'open' })
    return {
      async write (batch) {
        // The copy the page would hand over (the engine's piece stays in wasm), transferred.
        const pieces = batch.map(({ index, bytes }) => ({ at: index * MiB, bytes: bytes.slice().buffer }))
        await ask({ op: 'write', pieces }, pieces.map(p => p.bytes))
      },
      async read (index, into) {
        const { bytes } = await ask({ op: 'read', at: index * MiB, len: MiB })
        into.set(new Uint8Array(bytes))
        bytes.transfer(0)
      }
    }
  }
  if (name === 'opfs-async') {
    const root = await navigator.storage.getDirectory()
    const dir = await root.getDirectoryHandle('pieces', { create: true })
    return {
      async write (batch) {
        await Promise.all(batch.map(async ({ index, bytes }) => {
          const file = await dir.getFileHandle(String(index), { create: true })
          const w = await file.createWritable()
          await w.write(bytes)
          await w.close()
        }))
      },
      async read (index, into) {
        const file = await (await dir.getFileHandle(String(index))).getFile()
        const bytes = await file.arrayBuffer()
        into.set(new Uint8Array(bytes))
        bytes.transfer(0)
      }
    }
  }
  throw new Error('unknown backend ' + name)
}
window.longest = 0
new PerformanceObserver(list => {
  for (const e of list.getEntries()) window.longest = Math.max(window.longest, e.duration)
}).observe({ type: 'longtask', buffered: true })
window.bench = async (name, n) => {
  const store = await backend(name)
  window.store = store
  const pieces = [new Uint8Array(MiB), new Uint8Array(MiB)]
  window.longest = 0
  const t0 = performance.now()
  for (let p = 0; p < n; p += 2) {
    const batch = pieces.map((bytes, i) => {
      crypto.getRandomValues(bytes.subarray(0, 65536))
      bytes[0] = p + i
      return { index: p + i, bytes }
    })
    await store.write(batch)
  }
  return { writeMs: performance.now() - t0, longestWriteTask: window.longest }
}
window.readBack = n => {
  window.done = false
  const t0 = performance.now()
  ;(async () => {
    const wasm = [0, 1, 2, 3].map(() => new Uint8Array(MiB))
    for (let p = 0; p < n; p += 4) {
      await Promise.all([0, 1, 2, 3].map(i => window.store.read(p + i, wasm[i])))
      for (let i = 0; i < 4; i++) if (wasm[i][0] !== ((p + i) & 255)) throw new Error('piece ' + (p + i) + ' read back wrong')
    }
    window.readMs = performance.now() - t0
    window.done = true
  })().catch(e => { window.failed = String(e); window.done = true })
}`

async function once (origin, name) {
  const chrome = await launchChromium()
  try {
    const { page } = await chrome.open(origin)
    const mem = async () => (await chrome.rss()).renderer
    const idle = await mem()
    const { writeMs, longestWriteTask } = await page.evaluate(([name, n]) => window.bench(name, n), [name, N])
    const written = await mem()
    await page.evaluate(n => window.readBack(n), N)
    let peak = await mem()
    while (!(await page.evaluate(() => window.done))) {
      await new Promise(resolve => setTimeout(resolve, 200))
      peak = Math.max(peak, await mem())
    }
    const failed = await page.evaluate(() => window.failed)
    if (failed) throw new Error(`${name}: ${failed}`)
    const readMs = await page.evaluate(() => window.readMs)
    const out = { name, idle, written, peak, longestWriteTask, writeMibps: N / (writeMs / 1000), readMibps: N / (readMs / 1000) }
    console.error(JSON.stringify(out))
    return out
  } finally {
    await chrome.close()
  }
}

const { rows, start, end } = await alternateRuns(`<!doctype html><title>opfs vs idb</title><script>${PAGE}</script>`, RUNS, BACKENDS, once)
const m = v => (v / MiB).toFixed(0)
const list = (name, f) => rows.filter(r => r.name === name).map(f)
console.log(`| ${N} MiB, 1 MiB pieces (runs; median) | write MiB/s | read MiB/s | longest main-thread task while writing, ms (0: none over 50 ms) | renderer after writing, MiB | renderer peak while reading, MiB |`)
console.log('|---|---|---|---|---|---|')
for (const name of BACKENDS) {
  const col = (f, fmt) => `${list(name, f).map(fmt).join(', ')}; **${fmt(median(list(name, f)))}**`
  console.log(`| ${name} | ${col(r => r.writeMibps, v => v.toFixed(0))} | ${col(r => r.readMibps, v => v.toFixed(0))} | ${col(r => r.longestWriteTask, v => v.toFixed(0))} | ${col(r => r.written, m)} | ${col(r => r.peak, m)} |`)
}
console.log(`${start.date} → ${end.date}; load ${start.load} before, ${end.load} after; ${start.nproc} × ${start.model}; ${start.chromium}`)
