// Shared pieces of the browser benchmarks (never run by CI; no assertion depends on a time):
// a random file, headless Chromium instances whose pages can reach each other over loopback
// WebRTC, an HTTP server for the pages, WebTorrent 3 seeder and leecher pages driven from node,
// the renderer's CPU time, and the machine description the results carry.
import { spawnSync } from 'node:child_process'
import { createHash, randomFillSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { startCompanion } from '../../tests/support/companion-serve.mjs'
import { root } from '../../tests/support/shoal.mjs'

export { root }
export const MiB = 1 << 20

/** A scratch folder, removed by `cleanup()`. */
export function scratch (name) {
  const dir = mkdtempSync(path.join(tmpdir(), `shoal-bench-${name}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Writes `size` random bytes to `dir/name`; returns {file, bytes, sha256}. */
export function randomFile (dir, name, size) {
  const bytes = randomFillSync(Buffer.alloc(size))
  const file = path.join(dir, name)
  writeFileSync(file, bytes)
  return { file, bytes, sha256: createHash('sha256').update(bytes).digest('hex') }
}

/**
 * A scratch folder and a stack of cleanups for one benchmark run: `cleanup()` runs them last
 * first, then removes the folder; Ctrl-C runs it too.
 */
export function benchScratch (name) {
  const tmp = scratch(name)
  const cleanups = []
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()().catch(() => {})
    tmp.cleanup()
  }
  process.on('SIGINT', () => { cleanup().finally(() => process.exit(130)) })
  return { tmp, cleanups, cleanup }
}

/** Runs a tool from the project root with its output shown; throws unless it exits with 0. */
export function runTool (cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'inherit', 'inherit'] })
  if (r.error) throw r.error
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`)
}

/**
 * Builds the runtime's page harness (crates/runtime/examples/interop_harness.rs) with the app's
 * `wasm-release` profile and wasm-bindgen's web target into `outDir`; returns `outDir`.
 */
export function buildReleaseHarness (outDir) {
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target')
  runTool('cargo', ['build', '--profile', 'wasm-release', '--target', 'wasm32-unknown-unknown',
    '-p', 'shoal-runtime', '--example', 'interop_harness'])
  runTool('wasm-bindgen', ['--target', 'web', '--out-dir', outDir,
    path.join(target, 'wasm32-unknown-unknown/wasm-release/examples/interop_harness.wasm')])
  return outDir
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median (values) {
  const v = [...values].sort((a, b) => a - b)
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

/** Rejects when `promise` takes longer than `ms`, naming the step. */
export function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms) })
  ]).finally(() => clearTimeout(timer))
}

/** `nproc`, the CPU model, the load averages and the date, for the results' header. */
export function machine () {
  const model = (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? cpus()[0]?.model
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()
  const chromiumVersion = spawnSync(process.env.CHROMIUM ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).stdout.trim()
  return { nproc, model, load: loadavg().map(l => l.toFixed(2)).join(', '), date: new Date().toISOString(), chromium: chromiumVersion }
}

/**
 * VmRSS and VmHWM (bytes) of process `pid`, and the resident set split as the kernel counts
 * it: anonymous (malloc, PartitionAlloc, V8 and wasm heaps), file-backed, shared memory (the
 * buffers Chromium's IPC hands between processes); zeros once it is gone.
 */
export function residentMemory (pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = key => Number((status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm')) ?? [])[1] ?? 0) * 1024
    return { rss: kib('VmRSS'), hwm: kib('VmHWM'), anon: kib('RssAnon'), file: kib('RssFile'), shmem: kib('RssShmem') }
  } catch {
    return { rss: 0, hwm: 0, anon: 0, file: 0, shmem: 0 }
  }
}

/**
 * Serves `html` at every path of a loopback port and runs `once(url, variant)` for each of
 * `variants`, `runs` times over, alternating. The results in order, with the machine's state
 * before and after (`machine()`).
 */
export async function alternateRuns (html, runs, variants, once) {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html))
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${server.address().port}/`
  const start = machine()
  const rows = []
  try {
    for (let i = 0; i < runs; i++) {
      for (const variant of variants) rows.push(await once(url, variant))
    }
  } finally {
    server.close()
  }
  return { rows, start, end: machine() }
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100

/** User + system CPU seconds of process `pid` (all its threads), from /proc/PID/stat; 0 if gone. */
export function cpuSeconds (pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
  } catch {
    return 0
  }
}

/**
 * A headless Chromium of its own (so the pages of one side never share a process with the
 * other side's), with the flags loopback WebRTC needs. `cpu()` returns the CPU seconds so far
 * of its renderer processes (the pages: one page per browser here) and of all its processes,
 * from /proc with the process ids Chromium reports (CDP SystemInfo.getProcessInfo); `rss()`
 * their resident memory the same way.
 */
export async function launchChromium () {
  const profile = mkdtempSync(path.join(tmpdir(), 'shoal-bench-chromium-'))
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    ignoreDefaultArgs: true,
    args: [
      '--headless=new', '--remote-debugging-pipe', '--no-startup-window', `--user-data-dir=${profile}`,
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--no-default-browser-check',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage', '--mute-audio', '--password-store=basic', '--use-mock-keychain',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
      // Pages in the background must not be throttled: they are what is measured.
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows'
    ]
  })
  const context = await browser.newContext()
  const cdp = await browser.newBrowserCDPSession()
  return {
    browser,
    context,
    async open (url) {
      await context.grantPermissions(['camera', 'microphone'], { origin: new URL(url).origin })
      const page = await context.newPage()
      const errors = []
      page.on('pageerror', e => errors.push(e))
      await page.goto(url)
      return { page, errors }
    },
    async cpu () {
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo')
      let renderer = 0
      let total = 0
      for (const p of processInfo) {
        const s = cpuSeconds(p.id)
        total += s
        if (p.type === 'renderer') renderer += s
      }
      return { renderer, total }
    },
    /** The highest VmRSS (bytes) among its renderer processes and of its browser process. */
    async rss () {
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo')
      const of = type => Math.max(0, ...processInfo.filter(p => p.type === type).map(p => residentMemory(p.id).rss))
      return { renderer: of('renderer'), browser: of('browser') }
    },
    async close () {
      await browser.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

const webTorrentBundle = () => readFileSync(path.join(root, 'node_modules/webtorrent/dist/webtorrent.min.js'))
const webTorrentPage = '<!doctype html><meta charset="utf-8"><title>WebTorrent 3</title>' +
  '<script type="module">import WebTorrent from "/webtorrent.min.js"; window.WebTorrent = WebTorrent</script>'

/**
 * An HTTP server on 127.0.0.1 for the pages: `/wt` (a page with npm webtorrent's browser
 * bundle as `window.WebTorrent`), `/file` (the benchmark file, for a seeder page), and any
 * `extra` routes (`{'/path': {type, body: () => Buffer}}`).
 */
export async function startPages (file, extra = {}) {
  const routes = {
    '/wt': { type: 'text/html', body: () => webTorrentPage },
    '/webtorrent.min.js': { type: 'text/javascript', body: webTorrentBundle },
    '/file': { type: 'application/octet-stream', body: () => readFileSync(file) },
    ...extra
  }
  const server = http.createServer((req, res) => {
    const route = routes[new URL(req.url, 'http://x').pathname]
    if (!route) return res.writeHead(404).end()
    res.writeHead(200, { 'content-type': route.type }).end(route.body())
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise(resolve => { server.closeAllConnections(); server.close(resolve) })
  }
}

/** Opens a WebTorrent page in `chrome` and seeds `/file` as `name`; resolves with {page, magnet}. */
export async function webTorrentSeeder (chrome, origin, tracker, name) {
  const { page } = await chrome.open(origin + '/wt')
  await page.waitForFunction(() => typeof window.WebTorrent === 'function')
  const magnet = await withTimeout(page.evaluate(async ({ tracker, name }) => {
    const bytes = new Uint8Array(await (await fetch('/file')).arrayBuffer())
    const client = new window.WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
    window.client = client
    return new Promise((resolve, reject) => {
      client.on('error', e => reject(new Error(String(e))))
      client.seed(new File([bytes], name), { announce: [tracker] }, t => resolve(t.magnetURI))
    })
  }, { tracker, name }), 300_000, 'WebTorrent seeding')
  return { page, magnet }
}

/**
 * Opens a WebTorrent leecher page in `chrome`, ready to be timed by {@link webTorrentLeech}.
 */
export async function webTorrentLeecherPage (chrome, origin) {
  const opened = await chrome.open(origin + '/wt')
  await opened.page.waitForFunction(() => typeof window.WebTorrent === 'function')
  return opened
}

/**
 * WebTorrent 3 downloads `magnet` in `page`, reading the file in order from byte 0 (its file
 * iterator, which prioritises the pieces it waits for). Timed in the page from just before
 * `client.add`: metadata (the torrent's `metadata` event), `firstBytes` read in order, the
 * whole file read. The bytes stay in the page for {@link pageSha256}.
 */
export function webTorrentLeech (page, magnet, tracker, firstBytes) {
  return page.evaluate(async ({ magnet, tracker, firstBytes }) => {
    const start = performance.now()
    const client = new window.WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
    window.client = client
    const torrent = client.add(magnet, { announce: [tracker] })
    const failed = new Promise((_resolve, reject) => {
      client.on('error', e => reject(new Error(String(e))))
      torrent.on('error', e => reject(new Error(String(e))))
    })
    let metadataMs = null
    if (!torrent.metadata) await Promise.race([new Promise(resolve => torrent.once('metadata', resolve)), failed])
    metadataMs = performance.now() - start
    if (!torrent.ready) await Promise.race([new Promise(resolve => torrent.once('ready', resolve)), failed])
    const chunks = []
    let read = 0
    let firstMs = null
    for await (const chunk of torrent.files[0]) {
      chunks.push(chunk)
      read += chunk.length
      if (firstMs === null && read >= firstBytes) firstMs = performance.now() - start
    }
    const doneMs = performance.now() - start
    window.__chunks = chunks
    return { metadataMs, firstMs: firstMs ?? doneMs, doneMs, length: read, wires: torrent.wires.map(w => w.type) }
  }, { magnet, tracker, firstBytes })
}

/** SHA-256 (hex) of the bytes a leech left in `window.__chunks`, which it then drops. */
export function pageSha256 (page) {
  return page.evaluate(async () => {
    const chunks = window.__chunks
    window.__chunks = null
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
    let at = 0
    for (const c of chunks) { all.set(c, at); at += c.length }
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', all))
    return [...hash].map(b => b.toString(16).padStart(2, '0')).join('')
  })
}

/** Formats seconds with `digits` decimals. */
export const secs = (ms, digits = 2) => (ms / 1000).toFixed(digits)

/**
 * `shoal serve --channel demo=testsrc` in `tmp` (stopped by `cleanups`), served from
 * SHOAL_DIST (default dist/), once its live playlist lists `segments` segments: the channel is
 * under way when viewers join. Returns the companion, the playlist URL and the playlist's text.
 */
export async function startLiveChannel (tmp, cleanups, segments) {
  const app = await startCompanion({
    dist: process.env.SHOAL_DIST ?? path.join(root, 'dist'),
    library: mkdtempSync(path.join(tmp.dir, 'library-')),
    cache: mkdtempSync(path.join(tmp.dir, 'cache-')),
    args: ['--channel', 'demo=testsrc', '--channels-dir', mkdtempSync(path.join(tmp.dir, 'channels-'))]
  })
  cleanups.push(() => app.stop())
  const playlist = `${app.url}/channels/demo/index.m3u8`
  for (let i = 0; i < 120; i++) {
    const text = await fetch(playlist).then(r => r.ok ? r.text() : '').catch(() => '')
    if ((text.match(/#EXTINF/g) ?? []).length >= segments) return { app, playlist, text }
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  throw new Error(`the channel playlist never listed ${segments} segments`)
}
