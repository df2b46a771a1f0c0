// Benchmark (issue 13): one live channel (`shoal serve --channel demo=testsrc`), watched in the
// same run by N Shoal viewers (the app's /live/demo page), N viewers with npm
// p2p-media-loader-hlsjs/-core 2.3.x on hls.js (default configuration, announcing to the same
// companion tracker, no STUN: loopback), and one plain hls.js viewer (the zero line). Each viewer
// is its own headless Chromium; they start STAGGER_MS apart, alternating Shoal / p2p-media-loader,
// and are all read after SECONDS.
//
// Per group: bytes from HTTP (the origin) and from peers, P2P share, origin bytes per segment
// played, stalls (a `waiting` event after playback started) and their time, startup (page
// opened → video playing), distance to the live edge (hls.js `latency`), renderer CPU seconds.
// The broadcaster's own WebRTC uploads to Shoal viewers would count as origin bytes: the
// companion's /metrics is read at the end and its WebRTC segment bytes are reported beside.
//
//   node bench/browser/hls-live.mjs
//   (env: N=3, SECONDS=90, STAGGER_MS=3000, SHOAL_BIN, SHOAL_DIST)
//
// Never run by CI; nothing here asserts a time.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { benchScratch, launchChromium, machine, median, root, startLiveChannel, startPages } from './common.mjs'

const N = Number(process.env.N ?? 3)
const SECONDS = Number(process.env.SECONDS ?? 90)
const STAGGER_MS = Number(process.env.STAGGER_MS ?? 3000)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))
const nm = p => path.join(root, 'node_modules', p)

// The p2p-media-loader / plain hls.js page: ?src=playlist&tracker=ws-url&p2p=1|0.
const pmlPage = `<!doctype html><meta charset="utf-8"><title>hls.js viewer</title>
<script type="importmap">{"imports":{"p2p-media-loader-core":"/core.js"}}</script>
<video id="v" muted autoplay playsinline style="width:640px"></video>
<script type="module">
import Hls from '/hls.mjs'
import { HlsJsP2PEngine } from '/hlsjs.js'
const q = new URLSearchParams(location.search)
const v = document.getElementById('v')
const s = window.figures = { http: 0, p2p: 0, up: 0, stalls: 0, stallMs: 0, started: null, opened: performance.now(), latency: null }
let stallSince = null
v.addEventListener('playing', () => {
  if (s.started === null) s.started = performance.now()
  if (stallSince !== null) { s.stallMs += performance.now() - stallSince; stallSince = null }
})
v.addEventListener('waiting', () => { if (s.started !== null && stallSince === null) { s.stalls++; stallSince = performance.now() } })
let hls
if (q.get('p2p') === '1') {
  const HlsWithP2P = HlsJsP2PEngine.injectMixin(Hls)
  hls = new HlsWithP2P({
    p2p: {
      core: { announceTrackers: [q.get('tracker')], rtcConfig: { iceServers: [] } },
      onHlsJsCreated (h) {
        h.p2pEngine.addEventListener('onChunkDownloaded', (n, source) => { s[source === 'p2p' ? 'p2p' : 'http'] += n })
        h.p2pEngine.addEventListener('onChunkUploaded', n => { s.up += n })
      }
    }
  })
} else {
  hls = new Hls()
  hls.on(Hls.Events.FRAG_LOADED, (_e, d) => { s.http += d.frag.stats.loaded })
}
window.currentLatency = () => hls.latency
hls.loadSource(q.get('src'))
hls.attachMedia(v)
v.play().catch(() => {})
</script>`

async function main () {
  const { tmp, cleanups, cleanup } = benchScratch('hls-live')
  try {
    // Viewers join a channel that is under way: its playlist lists a few segments.
    const { app, playlist, text } = await startLiveChannel(tmp, cleanups, 4)
    const tracker = (text.match(/TRACKERS="([^" ]+)/) ?? [])[1]
    if (!tracker) throw new Error('the channel playlist never named a tracker')
    const pages = await startPages(null, {
      '/pml': { type: 'text/html', body: () => pmlPage },
      '/hls.mjs': { type: 'text/javascript', body: () => readFileSync(nm('hls.js/dist/hls.mjs')) },
      '/core.js': { type: 'text/javascript', body: () => readFileSync(nm('p2p-media-loader-core/dist/p2p-media-loader-core.es.js')) },
      '/hlsjs.js': { type: 'text/javascript', body: () => readFileSync(nm('p2p-media-loader-hlsjs/dist/p2p-media-loader-hlsjs.es.js')) }
    })
    cleanups.push(() => pages.stop())
    const settings = JSON.stringify({ trackers: [], ice_servers: [] })
    const viewers = []
    const open = async (kind, i) => {
      const chrome = await launchChromium()
      cleanups.push(() => chrome.close())
      const opened = Date.now()
      // When each stall began and ended (s since the page opened), for every loader alike:
      // media events do not bubble, a capturing listener on the document sees them.
      await chrome.context.addInitScript(() => {
        const t0 = performance.now()
        const at = () => +((performance.now() - t0) / 1000).toFixed(1)
        const w = window.stallLog = { playing: null, stalls: [] }
        document.addEventListener('playing', () => {
          if (w.playing === null) w.playing = at()
          const last = w.stalls[w.stalls.length - 1]
          if (last && last.end === null) last.end = at()
        }, true)
        document.addEventListener('waiting', e => {
          const last = w.stalls[w.stalls.length - 1]
          // With what the element said then: a seek (hls.js's live sync, a nudge over a gap)
          // also fires `waiting`, with `seeking` true.
          const m = e.target
          let ahead = null
          for (let i = 0; i < (m.buffered?.length ?? 0); i++) {
            if (m.buffered.start(i) <= m.currentTime && m.currentTime <= m.buffered.end(i)) ahead = +(m.buffered.end(i) - m.currentTime).toFixed(2)
          }
          if (w.playing !== null && !(last && last.end === null)) w.stalls.push({ at: at(), end: null, seeking: m.seeking, readyState: m.readyState, ahead, t: +m.currentTime.toFixed(2) })
        }, true)
      })
      let v
      if (kind === 'shoal') {
        await chrome.context.addInitScript(s => localStorage.setItem('shoal.settings', s), settings)
        const trace = []
        // Every per-segment line (where its bytes came from and why), stamped with the seconds
        // since this page opened: the stalls are read against them.
        chrome.context.on('console', m => { if (m.text().startsWith('Shoal HLS') && trace.length < 400) trace.push(`${((Date.now() - opened) / 1000).toFixed(1)} s ${m.text()}`) })
        // Where the start-up goes: when the page first asked for the app's wasm, hls.js, the
        // playlist and a segment (s since it opened).
        const milestones = {}
        chrome.context.on('request', r => {
          const u = r.url()
          const name = u.endsWith('.wasm') ? 'wasm' : u.endsWith('/hls.min.js') ? 'hls.js' : u.endsWith('.m3u8') ? 'playlist' : u.endsWith('.ts') ? 'segment' : null
          if (name && !(name in milestones)) milestones[name] = +((Date.now() - opened) / 1000).toFixed(1)
        })
        v = await chrome.open(`${app.url}/live/demo`)
        v.trace = trace
        v.milestones = milestones
      } else {
        const p2p = kind === 'pml' ? 1 : 0
        v = await chrome.open(`${pages.origin}/pml?src=${encodeURIComponent(playlist)}&tracker=${encodeURIComponent(tracker)}&p2p=${p2p}`)
      }
      const viewer = { kind, i, chrome, opened, ...v, startupMs: null }
      // Startup: page opened → the video plays (its time moves).
      viewer.page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 0, null, { timeout: 120_000, polling: 100 })
        .then(() => { viewer.startupMs = Date.now() - opened }).catch(() => {})
      viewers.push(viewer)
    }
    const cpu0 = new Map()
    const order = []
    for (let i = 0; i < N; i++) order.push(['shoal', i], ['pml', i])
    order.push(['hlsjs', 0])
    const began = Date.now()
    for (const [kind, i] of order) {
      await open(kind, i)
      await sleep(STAGGER_MS)
    }
    for (const v of viewers) cpu0.set(v, await v.chrome.cpu())
    const left = SECONDS * 1000 - (Date.now() - began)
    if (left > 0) await sleep(left)
    const rows = []
    for (const v of viewers) {
      const cpu = await v.chrome.cpu()
      const c0 = cpu0.get(v)
      let f
      if (v.kind === 'shoal') {
        const s = await v.page.evaluate(() => window.shoal?.hlsStats?.() ?? null)
        f = s && { http: s.bytesFromHttp, p2p: s.bytesFromPeers, up: s.bytesToPeers, stalls: s.stalls, stallMs: null, latency: s.liveDistance, segments: s.segments, prefetched: s.prefetched, banned: s.bannedPeers }
      } else {
        f = await v.page.evaluate(() => ({ ...window.figures, latency: window.currentLatency() }))
      }
      const stallLog = await v.page.evaluate(() => window.stallLog ?? null).catch(() => null)
      rows.push({ kind: v.kind, i: v.i, startupMs: v.startupMs, cpuRenderer: cpu.renderer - c0.renderer, errors: v.errors.length, ...f, stallLog, milestones: v.milestones, trace: v.trace })
    }
    const metrics = await fetch(`${app.url}/metrics`).then(r => r.text()).catch(() => '')
    const report = { machine: machine(), n: N, seconds: SECONDS, staggerMs: STAGGER_MS, rows, metrics: metrics.split('\n').filter(l => /channel|origin|segment|p2p/i.test(l) && !l.startsWith('#')) }
    console.log(JSON.stringify(report, null, 2))
    console.log(markdown(report))
  } finally {
    await cleanup()
  }
}

function markdown ({ machine: m, n, seconds, rows }) {
  const kb = b => (b / 1024).toFixed(0)
  const line = kind => {
    const r = rows.filter(x => x.kind === kind)
    const http = r.reduce((a, x) => a + (x.http ?? 0), 0)
    const p2p = r.reduce((a, x) => a + (x.p2p ?? 0), 0)
    const stalls = r.reduce((a, x) => a + (x.stalls ?? 0), 0)
    // Their total time, from the pages' own `waiting` → `playing` log (a stall still open
    // when read counts up to its start only).
    const stallS = r.reduce((a, x) => a + (x.stallLog?.stalls ?? []).reduce((b, st) => b + ((st.end ?? st.at) - st.at), 0), 0)
    const startup = median(r.map(x => x.startupMs ?? NaN).filter(Number.isFinite))
    const latency = median(r.map(x => x.latency ?? NaN).filter(Number.isFinite))
    const cpu = median(r.map(x => x.cpuRenderer))
    const share = http + p2p ? (100 * p2p / (http + p2p)).toFixed(0) : '—'
    const name = { shoal: 'Shoal', pml: 'p2p-media-loader 2.3.1', hlsjs: 'plain hls.js' }[kind]
    return `| ${name} | ${r.length} | ${kb(http)} | ${kb(p2p)} | ${share} % | ${stalls} (${stallS.toFixed(1)} s) | ${(startup / 1000).toFixed(1)} s | ${latency?.toFixed?.(1) ?? '—'} s | ${cpu.toFixed(1)} s |`
  }
  return [
    `Run ${m.date}, ${seconds} s, N = ${n} per loader; ${m.nproc} cores (${m.model}), load ${m.load}; ${m.chromium}.`,
    '',
    '| loader | viewers | from HTTP (KiB) | from peers (KiB) | P2P share | stalls (total time) | startup (median) | live distance (median) | renderer CPU (median) |',
    '|---|---|---|---|---|---|---|---|---|',
    line('shoal'), line('pml'), line('hlsjs')
  ].join('\n')
}

main().catch(e => { console.error(e); process.exitCode = 1 })
