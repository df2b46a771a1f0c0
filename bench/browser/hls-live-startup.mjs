// Where a Shoal live viewer's start-up goes on its main thread (issue 13): one live channel
// (`shoal serve --channel demo=testsrc`), N viewer pages opened one after the other
// (STAGGER_MS apart, each its own headless Chromium), each profiled with CDP `Profiler`
// from before its navigation to its first `playing`. Per page: the main thread's busy time
// in 100 ms steps by script (the app's wasm, its JS glue, hls.js, the page's inline
// scripts, garbage collection, the browser's own work between scripts), beside the
// page's start-up milestones (Resource Timing), so each milestone's wait reads as
// "busy with X" or "idle, waiting for the network or another thread".
//
//   SHOAL_BIN=… SHOAL_DIST=dist N=2 node bench/browser/hls-live-startup.mjs
//
// Never run by CI; nothing here asserts a time.
import { benchScratch, launchChromium, machine, startLiveChannel } from './common.mjs'

const N = Number(process.env.N ?? 2)
const STAGGER_MS = Number(process.env.STAGGER_MS ?? 3000)
const STEP_MS = 100
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function main () {
  const { tmp, cleanups, cleanup } = benchScratch('hls-live-startup')
  try {
    const { app } = await startLiveChannel(tmp, cleanups, 6)
    const settings = JSON.stringify({ trackers: [], ice_servers: [] })
    const out = { machine: machine(), n: N, viewers: [] }
    for (let i = 0; i < N; i++) {
      const chrome = await launchChromium()
      cleanups.push(() => chrome.close())
      await chrome.context.addInitScript(s => localStorage.setItem('shoal.settings', s), settings)
      await chrome.context.grantPermissions(['camera', 'microphone'], { origin: app.url })
      const page = await chrome.context.newPage()
      const cdp = await chrome.context.newCDPSession(page)
      await cdp.send('Profiler.enable')
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
      await cdp.send('Profiler.start')
      await page.goto(`${app.url}/live/demo`)
      await page.waitForFunction(() => (document.querySelector('video')?.currentTime ?? 0) > 0, null, { timeout: 60_000, polling: 50 })
      const { profile } = await cdp.send('Profiler.stop')
      const timing = await page.evaluate(() => {
        const r = performance.getEntriesByType('resource')
        const first = test => r.find(e => test(e.name))
        const m = {}
        const pick = (label, e) => { if (e) { m[`${label} asked`] = e.startTime; m[`${label} answered`] = e.responseEnd } }
        pick('wasm', first(n => n.endsWith('.wasm')))
        pick('hls.min.js', first(n => n.endsWith('/hls.min.js')))
        pick('playlist', first(n => n.endsWith('.m3u8')))
        pick('first segment', first(n => n.endsWith('.ts')))
        return m
      })
      // The page's clock starts at navigation, the profile's at `Profiler.start`, a few ms
      // earlier (the steps are a little late against the milestones, never early).
      out.viewers.push({ i, steps: steps(profile), milestones: Object.fromEntries(Object.entries(timing).map(([k, v]) => [k, Math.round(v)]).sort((a, b) => a[1] - b[1])) })
      await sleep(STAGGER_MS)
    }
    console.log('machine:', JSON.stringify(out.machine))
    for (const v of out.viewers) {
      console.log(`\nviewer ${v.i}: milestones (ms since navigation)`, v.milestones)
      console.log('  step (ms) | busy by script (ms)')
      for (const s of v.steps) console.log(`  ${String(s.at).padStart(5)} | ${s.busy}`)
    }
  } finally {
    await cleanup()
  }
}

/** Busy time per STEP_MS window since profiling began (just before navigation), by script. */
function steps (p) {
  const byId = new Map(p.nodes.map(n => [n.id, n]))
  // Sample times are µs deltas from the profile's start.
  let t = p.startTime
  const buckets = new Map()
  for (const [i, id] of p.samples.entries()) {
    t += p.timeDeltas[i]
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000
    const f = byId.get(id).callFrame
    const name = f.functionName || '(anonymous)'
    if (name === '(idle)') continue
    const url = f.url ?? ''
    const what = url.endsWith('.wasm') || url.startsWith('wasm://') ? 'wasm'
      : /shoal-app-[0-9a-f]+\.js/.test(url) ? 'app js'
        : url.endsWith('hls.min.js') ? 'hls.js'
          : url ? 'page script' : name
    const at = Math.floor((t - p.startTime) / 1000 / STEP_MS) * STEP_MS
    const b = buckets.get(at) ?? new Map()
    b.set(what, (b.get(what) ?? 0) + dt)
    buckets.set(at, b)
  }
  return [...buckets].sort((a, b) => a[0] - b[0]).map(([at, b]) => ({
    at,
    busy: [...b].sort((x, y) => y[1] - x[1]).filter(([, ms]) => ms >= 1).map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', ')
  }))
}

main().catch(e => { console.error(e); process.exitCode = 1 })
