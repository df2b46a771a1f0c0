// Benchmark (issue 5): 64 MiB from one WebTorrent 3 seeder page, downloaded by Shoal's runtime
// in a page against a WebTorrent 3 leecher page. Each leecher runs in a fresh headless Chromium
// of its own, reads the file in order from byte 0, and is timed in the page from just before it
// adds the magnet: time to metadata, to the first 2 MiB in order, to the whole file; and the
// CPU seconds of the leecher's renderer process over the download (/proc/PID/stat, user +
// system, all threads, with the pid Chromium reports through CDP SystemInfo.getProcessInfo),
// plus its main thread's busy time (CDP Performance.getMetrics TaskDuration).
//
// Shoal's side is `download_timed` in crates/runtime/examples/interop_harness.rs (the runtime's
// Client → metadata → Reader, the same calls the player makes), built here with the app's
// `wasm-release` profile (no wasm-opt pass).
//
//   SHOAL_BIN=target/release/shoal node bench/browser/leecher-vs-webtorrent.mjs
//   (env: SIZE_MIB=64, RUNS=3, CARGO_TARGET_DIR)
//
// Prints each run and a Markdown section for docs/benchmarks.md. Never run by CI.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { startTracker } from '../../tests/support/tracker.mjs'
import {
  benchScratch, buildReleaseHarness, launchChromium, machine, median, MiB, pageSha256, randomFile, secs, startPages,
  webTorrentLeech, webTorrentLeecherPage, webTorrentSeeder, withTimeout
} from './common.mjs'

const SIZE = Number(process.env.SIZE_MIB ?? 64) * MiB
const RUNS = Number(process.env.RUNS ?? 3)
const FIRST = 2 * MiB
const NAME = 'bench.bin'

const { tmp, cleanups, cleanup } = benchScratch('leecher')



const shoalPage = '<!doctype html><meta charset="utf-8"><title>Shoal runtime</title>' +
  '<script type="module">import init, { download_timed, take_download } from "/harness/interop_harness.js";' +
  ' await init(); window.shoalDownloadTimed = download_timed; window.shoalTakeDownload = take_download</script>'

/** Shoal's runtime downloads `magnet` in `page`, timed as {@link webTorrentLeech} is. */
function shoalLeech (page, magnet, tracker, firstBytes) {
  return page.evaluate(async ({ magnet, tracker, firstBytes }) => {
    // The bytes stay in wasm memory (the harness's `take_download` hands them over after the
    // CPU is read, so the copy into one array is not counted).
    const r = await window.shoalDownloadTimed(magnet, tracker, firstBytes)
    return { metadataMs: r.metadataMs, firstMs: r.firstMs, doneMs: r.doneMs, length: r.length, fromPeers: r.bytesFromPeers }
  }, { magnet, tracker, firstBytes })
}

async function mainThreadSeconds (cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics')
  return metrics.find(m => m.name === 'TaskDuration')?.value ?? NaN
}

async function once (kind, pages, tracker, data) {
  const seederChrome = await launchChromium()
  cleanups.push(() => seederChrome.close())
  const leecher = await launchChromium()
  cleanups.push(() => leecher.close())
  try {
    const { magnet } = await webTorrentSeeder(seederChrome, pages.origin, tracker.url, NAME)
    let opened
    if (kind === 'shoal') {
      opened = await leecher.open(pages.origin + '/shoal')
      await opened.page.waitForFunction(() => typeof window.shoalDownloadTimed === 'function')
    } else {
      opened = await webTorrentLeecherPage(leecher, pages.origin)
    }
    const { page, errors } = opened
    const cdp = await leecher.context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const cpu0 = await leecher.cpu()
    const main0 = await mainThreadSeconds(cdp)
    const leech = kind === 'shoal' ? shoalLeech : webTorrentLeech
    const r = await withTimeout(leech(page, magnet, tracker.url, FIRST), 600_000, `${kind} downloading`)
    const cpu1 = await leecher.cpu()
    const main1 = await mainThreadSeconds(cdp)
    if (kind === 'shoal') await page.evaluate(() => { window.__chunks = [window.shoalTakeDownload()] })
    const sha = await pageSha256(page)
    if (r.length !== SIZE || sha !== data.sha256) throw new Error(`${kind}: the download does not match the file (${r.length} bytes)`)
    if (errors.length) throw new Error(`${kind}: page errors: ${errors.join('; ')}`)
    const result = {
      kind,
      metadataMs: r.metadataMs,
      firstMs: r.firstMs,
      doneMs: r.doneMs,
      rendererCpu: cpu1.renderer - cpu0.renderer,
      browserCpu: cpu1.total - cpu0.total,
      mainThread: main1 - main0
    }
    console.log(JSON.stringify(result))
    return result
  } finally {
    await leecher.close()
    await seederChrome.close()
  }
}

async function main () {
  const harness = buildReleaseHarness(path.join(tmp.dir, 'harness'))
  const data = randomFile(tmp.dir, NAME, SIZE)
  const tracker = await startTracker()
  cleanups.push(() => tracker.stop())
  const file = name => () => readFileSync(path.join(harness, name))
  const pages = await startPages(data.file, {
    '/shoal': { type: 'text/html', body: () => shoalPage },
    '/harness/interop_harness.js': { type: 'text/javascript', body: file('interop_harness.js') },
    '/harness/interop_harness_bg.wasm': { type: 'application/wasm', body: file('interop_harness_bg.wasm') }
  })
  cleanups.push(() => pages.stop())
  const before = machine()
  const results = { shoal: [], webtorrent: [] }
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? ['shoal', 'webtorrent'] : ['webtorrent', 'shoal']
    for (const kind of order) results[kind].push(await once(kind, pages, tracker, data))
  }
  const after = machine()
  const m = (kind, key) => median(results[kind].map(r => r[key]))
  const row = (label, key, fmt) => `| ${label} | ${fmt(m('shoal', key))} | ${fmt(m('webtorrent', key))} | ${(m('shoal', key) / m('webtorrent', key)).toFixed(2)}× |`
  const s = v => secs(v)
  const c = v => v.toFixed(2)
  const runs = key => `Shoal ${results.shoal.map(r => (r[key] / (key.endsWith('Ms') ? 1000 : 1)).toFixed(2)).join(', ')}; WebTorrent ${results.webtorrent.map(r => (r[key] / (key.endsWith('Ms') ? 1000 : 1)).toFixed(2)).join(', ')}`
  console.log(`
### Shoal's runtime against a WebTorrent leecher page, one WebTorrent seeder page (issue 5)

Measured ${before.date.slice(0, 16).replace('T', ' ')} UTC on ${before.nproc} × ${before.model}, ${before.chromium};
load average ${before.load} before, ${after.load} after. ${SIZE / MiB} MiB of random bytes seeded by a WebTorrent 3.0.21
page (its default piece length) in its own headless Chromium; each leecher in a fresh Chromium of its own, through one
\`shoal tracker\` on loopback, reading the file in order from byte 0; ${RUNS} runs each, alternating; median shown.
Lower is better everywhere; the last column below 1 means Shoal did better.

| figure (median of ${RUNS}) | Shoal runtime page | WebTorrent leecher page | Shoal ÷ WebTorrent |
|---|---|---|---|
${row('time to metadata, s', 'metadataMs', s)}
${row(`time to the first ${FIRST / MiB} MiB in order, s`, 'firstMs', s)}
${row('time to completion (whole file read in order), s', 'doneMs', s)}
${row('leecher page CPU, s (renderer process, user + system, /proc)', 'rendererCpu', c)}
${row('leecher main-thread busy, s (CDP TaskDuration)', 'mainThread', c)}
${row('whole leecher Chromium CPU, s (all its processes)', 'browserCpu', c)}

Runs — completion s: ${runs('doneMs')}; renderer CPU s: ${runs('rendererCpu')}.
Command: \`node bench/browser/leecher-vs-webtorrent.mjs\` (SIZE_MIB=${SIZE / MiB}, RUNS=${RUNS}).
`)
}

main().then(cleanup, async err => { console.error(err); await cleanup(); process.exit(1) })
