// Benchmark (issue 6): browser download speed from Shoal's native WebRTC seeder (`shoal seed`)
// against a WebTorrent 3 seeder page, same random file, same downloader: a WebTorrent 3
// leecher page in headless Chromium, so only the seeder differs. Both seeders announce to one
// `shoal tracker` on loopback. Median of RUNS runs each, the two seeders alternating.
//
//   SHOAL_BIN=target/release/shoal node bench/browser/seeder-vs-webtorrent.mjs
//   (env: SIZE_MIB=64, RUNS=3)
//
// Prints each run and a Markdown section for docs/benchmarks.md. Never run by CI.
import path from 'node:path'
import { startSeed } from '../../tests/support/companion-seed.mjs'
import { shoalBin } from '../../tests/support/shoal.mjs'
import { startTracker } from '../../tests/support/tracker.mjs'
import {
  benchScratch, cpuSeconds, launchChromium, machine, median, MiB, pageSha256, randomFile, secs, startPages,
  webTorrentLeech, webTorrentLeecherPage, webTorrentSeeder, withTimeout
} from './common.mjs'

const SIZE = Number(process.env.SIZE_MIB ?? 64) * MiB
const RUNS = Number(process.env.RUNS ?? 3)
const NAME = 'bench.bin'

const { tmp, cleanups, cleanup } = benchScratch('seeder')

/** One download by a fresh WebTorrent leecher browser from the seeder `seed()` starts. */
async function run (kind, pages, tracker, data) {
  const leecher = await launchChromium()
  cleanups.push(() => leecher.close())
  let seeder
  try {
    if (kind === 'shoal') {
      const proc = await startSeed(data.file, tracker.url, ['--cache-dir', path.join(tmp.dir, 'cache')])
      seeder = { magnet: proc.magnet, cpu: () => cpuSeconds(proc.child.pid), stop: proc.stop }
    } else {
      const chrome = await launchChromium()
      const { magnet } = await webTorrentSeeder(chrome, pages.origin, tracker.url, NAME)
      seeder = { magnet, cpu: async () => (await chrome.cpu()).total, stop: () => chrome.close() }
    }
    const { page, errors } = await webTorrentLeecherPage(leecher, pages.origin)
    const seederCpu0 = await seeder.cpu()
    const r = await withTimeout(webTorrentLeech(page, seeder.magnet, tracker.url, 2 * MiB), 600_000, `downloading from ${kind}`)
    const seederCpu = (await seeder.cpu()) - seederCpu0
    const sha = await pageSha256(page)
    if (r.length !== SIZE || sha !== data.sha256) throw new Error(`${kind}: the download does not match the file (${r.length} bytes)`)
    if (errors.length) throw new Error(`${kind}: page errors: ${errors.join('; ')}`)
    if (r.wires.some(w => w !== 'webrtc')) throw new Error(`${kind}: unexpected wires ${r.wires}`)
    const result = {
      kind,
      mibps: SIZE / MiB / (r.doneMs / 1000),
      transferMibps: SIZE / MiB / ((r.doneMs - r.metadataMs) / 1000),
      metadataMs: r.metadataMs,
      doneMs: r.doneMs,
      seederCpu
    }
    console.log(JSON.stringify(result))
    return result
  } finally {
    await seeder?.stop()
    await leecher.close()
  }
}

async function main () {
  const data = randomFile(tmp.dir, NAME, SIZE)
  const tracker = await startTracker()
  cleanups.push(() => tracker.stop())
  const pages = await startPages(data.file)
  cleanups.push(() => pages.stop())
  const before = machine()
  const results = { shoal: [], webtorrent: [] }
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? ['shoal', 'webtorrent'] : ['webtorrent', 'shoal']
    for (const kind of order) results[kind].push(await run(kind, pages, tracker, data))
  }
  const after = machine()
  const m = (kind, key) => median(results[kind].map(r => r[key]))
  const row = (label, key, fmt) => `| ${label} | ${fmt(m('shoal', key))} | ${fmt(m('webtorrent', key))} | ${(m('shoal', key) / m('webtorrent', key)).toFixed(2)}× |`
  const mib = v => v.toFixed(1)
  console.log(`
### Browser download speed: native seeder against a WebTorrent seeder page (issue 6)

Measured ${before.date.slice(0, 16).replace('T', ' ')} UTC on ${before.nproc} × ${before.model}, ${before.chromium};
load average ${before.load} before, ${after.load} after. ${SIZE / MiB} MiB of random bytes, the seeder's
default piece length; downloader: a WebTorrent 3.0.21 page (fresh headless Chromium each run) reading the
file in order; ${RUNS} runs each, alternating; median shown. Seeders: \`shoal seed\` (${shoalBin})
and a WebTorrent 3.0.21 page in its own Chromium; both announce to one \`shoal tracker\` on loopback.

| figure (median of ${RUNS}) | Shoal native seeder | WebTorrent seeder page | Shoal ÷ WebTorrent |
|---|---|---|---|
${row('download speed, add → whole file read, MiB/s', 'mibps', mib)}
${row('transfer speed after metadata, MiB/s', 'transferMibps', mib)}
${row('time to metadata, s', 'metadataMs', v => secs(v))}
${row('seeder CPU during the download, s (process; whole Chromium for the page)', 'seederCpu', v => v.toFixed(2))}

Runs (MiB/s): Shoal ${results.shoal.map(r => r.mibps.toFixed(1)).join(', ')}; WebTorrent ${results.webtorrent.map(r => r.mibps.toFixed(1)).join(', ')}.
Command: \`SHOAL_BIN=${shoalBin} node bench/browser/seeder-vs-webtorrent.mjs\` (SIZE_MIB=${SIZE / MiB}, RUNS=${RUNS}).
`)
}

main().then(cleanup, async err => { console.error(err); await cleanup(); process.exit(1) })
