// Where a Shoal live viewer's start-up time and renderer CPU go (issue 13): one live channel
// (`shoal serve --channel demo=testsrc`), N Shoal viewer pages (`/live/demo`, each its own
// headless Chromium, STAGGER_MS apart). For every page: the start-up milestones from the page's
// own clock (the wasm's fetch and the app's start from Resource Timing and Trunk's
// `TrunkApplicationStarted` event, when hls.js was created, the playlist and first segment
// asked and answered, the first `playing`); then a CPU profile of the page's main thread (CDP
// `Profiler`) over PROFILE_S seconds of steady live play, summed by function (self time) and
// by script, with the segments, bytes from peers / HTTP and data channels opened in that
// window. A wasm build with a name section (`trunk build --release` with
// `data-keep-debug`) names the wasm functions; otherwise they show as `wasm-function[N]`.
//
//   SHOAL_BIN=… SHOAL_DIST=dist N=2 PROFILE_S=30 node bench/browser/hls-live-profile.mjs
//
// Never run by CI; nothing here asserts a time.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { benchScratch, launchChromium, machine, root, startLiveChannel } from './common.mjs'

const N = Number(process.env.N ?? 2)
const PROFILE_S = Number(process.env.PROFILE_S ?? 30)
const WARM_S = Number(process.env.WARM_S ?? 15)
const STAGGER_MS = Number(process.env.STAGGER_MS ?? 3000)
const TOP = Number(process.env.TOP ?? 40)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function main () {
  const { tmp, cleanups, cleanup } = benchScratch('hls-live-profile')
  try {
    const { app } = await startLiveChannel(tmp, cleanups, 4)
    const settings = JSON.stringify({ trackers: [], ice_servers: [] })
    const viewers = []
    for (let i = 0; i < N; i++) {
      const chrome = await launchChromium()
      cleanups.push(() => chrome.close())
      await chrome.context.addInitScript(s => localStorage.setItem('shoal.settings', s), settings)
      await chrome.context.addInitScript(() => {
        const m = window.__milestones = {}
        const at = name => { if (!(name in m)) m[name] = Math.round(performance.now()) }
        addEventListener('TrunkApplicationStarted', () => at('app started (wasm instantiated, main ran)'))
        // Data channels this page opened (one per segment per peer asked, by the design).
        const dc = window.__dataChannels = { created: 0 }
        const create = RTCPeerConnection.prototype.createDataChannel
        RTCPeerConnection.prototype.createDataChannel = function (...a) { dc.created++; return create.apply(this, a) }
        document.addEventListener('playing', () => at('first playing'), true)
        // hls.js's constructor, when the app creates it.
        let Hls
        Object.defineProperty(window, 'Hls', {
          configurable: true,
          get: () => Hls,
          set (v) {
            at('hls.js script evaluated')
            Hls = class extends v { constructor (...a) { at('hls.js created'); super(...a) } }
          }
        })
      })
      const { page } = await chrome.open(`${app.url}/live/demo`)
      viewers.push({ i, chrome, page })
      await sleep(STAGGER_MS)
    }
    await sleep(WARM_S * 1000)
    const out = { machine: machine(), n: N, profileS: PROFILE_S, viewers: [] }
    // Profile every page at once over the same window.
    const sessions = []
    for (const v of viewers) {
      const cdp = await v.chrome.context.newCDPSession(v.page)
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 500 })
      sessions.push(cdp)
    }
    // Segments delivered, bytes by source and data channels opened, over the profile window.
    const counts = () => Promise.all(viewers.map(v => v.page.evaluate(() => {
      const s = window.shoal?.hlsStats?.() ?? {}
      return { segments: s.segments ?? 0, fromPeers: s.bytesFromPeers ?? 0, fromHttp: s.bytesFromHttp ?? 0, dataChannels: window.__dataChannels?.created ?? 0 }
    }).catch(() => ({}))))
    const cpu0 = await Promise.all(viewers.map(v => v.chrome.cpu()))
    const counts0 = await counts()
    await Promise.all(sessions.map(s => s.send('Profiler.start')))
    await sleep(PROFILE_S * 1000)
    const profiles = await Promise.all(sessions.map(s => s.send('Profiler.stop')))
    const cpu1 = await Promise.all(viewers.map(v => v.chrome.cpu()))
    const counts1 = await counts()
    for (const [k, v] of viewers.entries()) {
      const timing = await v.page.evaluate(() => {
        const r = performance.getEntriesByType('resource').map(e => ({ name: e.name, start: e.startTime, end: e.responseEnd }))
        const first = test => r.find(e => test(e.name))
        const pick = (label, e) => e ? { [`${label} asked`]: Math.round(e.start), [`${label} answered`]: Math.round(e.end) } : {}
        const nav = performance.getEntriesByType('navigation')[0]
        return {
          'page answered': Math.round(nav?.responseEnd ?? 0),
          'DOM content loaded': Math.round(nav?.domContentLoadedEventEnd ?? 0),
          ...pick('wasm', first(n => n.endsWith('.wasm'))),
          ...pick('app js', first(n => /shoal-app-[0-9a-f]+\.js$/.test(n))),
          ...pick('hls.min.js', first(n => n.endsWith('/hls.min.js'))),
          ...pick('channel list', first(n => n.includes('/api/channels'))),
          ...pick('playlist', first(n => n.endsWith('.m3u8'))),
          ...pick('first segment', first(n => n.endsWith('.ts'))),
          ...window.__milestones
        }
      })
      const p = profiles[k].profile
      writeFileSync(path.join(root, `target/hls-live-profile-${k}.cpuprofile`), JSON.stringify(p))
      const inWindow = Object.fromEntries(Object.keys(counts1[k]).map(key => [key, counts1[k][key] - (counts0[k][key] ?? 0)]))
      out.viewers.push({ i: v.i, rendererCpuS: +(cpu1[k].renderer - cpu0[k].renderer).toFixed(2), inWindow, milestonesMs: sortByValue(timing), ...summarize(p) })
    }
    console.log(JSON.stringify(out, null, 2))
  } finally {
    await cleanup()
  }
}

const sortByValue = o => Object.fromEntries(Object.entries(o).sort((a, b) => a[1] - b[1]))

/** Self time (ms) by function and by script over one profile; idle and GC apart. */
function summarize (p) {
  const byId = new Map(p.nodes.map(n => [n.id, n]))
  const self = new Map()
  for (const [i, id] of p.samples.entries()) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000
    self.set(id, (self.get(id) ?? 0) + dt)
  }
  const fn = new Map()
  const script = new Map()
  let total = 0
  for (const [id, ms] of self) {
    const n = byId.get(id)
    const f = n.callFrame
    const name = f.functionName || '(anonymous)'
    if (name !== '(idle)' && name !== '(program)') total += ms
    const file = f.url ? f.url.replace(/^https?:\/\/[^/]+/, '').replace(/-[0-9a-f]{16}/, '') : name.startsWith('(') ? name : '(native)'
    const key = `${name} ${file}${f.url ? ':' + f.lineNumber : ''}`
    fn.set(key, (fn.get(key) ?? 0) + ms)
    script.set(file, (script.get(file) ?? 0) + ms)
  }
  const top = m => [...m].sort((a, b) => b[1] - a[1]).slice(0, TOP).map(([k, ms]) => `${ms.toFixed(0).padStart(6)} ms  ${k}`)
  return { busyMs: Math.round(total), byScript: top(script), byFunction: top(fn) }
}

main().catch(e => { console.error(e); process.exitCode = 1 })
