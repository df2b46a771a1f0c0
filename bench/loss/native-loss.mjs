// Benchmark (issue 17, item 4): native seeder → Shoal page through a lossy, delaying link, for
// each of the companion's two WebRTC stacks: the same `shoal seed` (same seeder, same wire
// protocol) answering with str0m (`--rtc str0m`, the default) and with libdatachannel
// (`--rtc libdatachannel`, usrsctp: the SCTP stack browsers use).
//
// Two network namespaces made here, joined by bench/loss/wire.py (two TUN devices, every packet
// in each direction dropped with probability LOSS % and otherwise delivered DELAY_MS later; this
// kernel has no netem, see wire.py): the seeder in one (10.201.0.1), and the tracker, the page
// server and headless Chromium with the leeching Shoal page in the other (10.201.0.2). Nothing
// else on the machine is shaped. Each loss rate gets a fresh namespace pair; within it RUNS
// rounds alternate the two stacks (the first stack of a round alternates too). Every download
// is checked (SHA-256); the page's ICE candidate pair is read from getStats and must be
// 10.201.0.2 ↔ 10.201.0.1.
//
//   sudo node bench/loss/native-loss.mjs     (root: namespaces and TUN devices)
//   env: LOSSES=0,1,5  DELAY_MS=20  SIZE_MIB=16  RUNS=3  STACKS=str0m,libdatachannel
//        SHOAL_BIN (a `shoal` built with `--features libdatachannel`, release; by default the script
//        installs what that build needs with apt-get if missing and builds it), CARGO_TARGET_DIR,
//        CAP_S=240 (a run still downloading then is stopped and counted at the bytes it had),
//        SEEDER_LOG=info (the seeder's RUST_LOG; with `sctp_proto::association=debug` added, each
//        str0m run also counts its SCTP's retransmission timeouts and fast recoveries: t3, fr),
//        SEEDER_LOG_FILE=PATH (each seeder's log also goes to PATH.STACK.LOSS.ROUND)
//
// Everything it makes (namespaces, the wire, processes, scratch files) is removed at the end,
// on failure and on Ctrl-C. Never run by CI; nothing here asserts a time.
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  benchScratch, buildReleaseHarness, cpuSeconds, launchChromium, machine, median, MiB, pageSha256,
  randomFile, root, runTool, startPages, withTimeout
} from '../browser/common.mjs'

const LOSSES = (process.env.LOSSES ?? '0,1,5').split(',').map(Number)
const DELAY_MS = Number(process.env.DELAY_MS ?? 20)
const SIZE = Number(process.env.SIZE_MIB ?? 16) * MiB
const RUNS = Number(process.env.RUNS ?? 3)
const STACKS = (process.env.STACKS ?? 'str0m,libdatachannel').split(',')
const CAP_MS = Number(process.env.CAP_S ?? 240) * 1000
const COUNT_SCTP = (process.env.SEEDER_LOG ?? '').includes('sctp_proto')
const SHOAL = process.env.SHOAL_BIN ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(root, 'target'), 'release/shoal')
const NAME = 'bench.bin'
const SEED_IP = '10.201.0.1'
const LEECH_IP = '10.201.0.2'
const here = path.dirname(fileURLToPath(import.meta.url))

const { tmp, cleanups, cleanup } = benchScratch('native-loss')
// SIGTERM too (the wire and the namespaces must never outlive the script).
process.on('SIGTERM', () => { cleanup().finally(() => process.exit(143)) })

function sh (cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error}`)
  return r.stdout
}

/** Spawns a long-running process; resolves with {child, found, stop} once stdout matches `ready`. */
function spawnReady (cmd, args, ready, what, env = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  let stderr = ''
  child.stderr.on('data', d => { stderr += d; if (stderr.length > 100_000) stderr = stderr.slice(-50_000) })
  const stop = () => new Promise(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.kill('SIGTERM')
  })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => { stop(); reject(new Error(`${what} not ready in 60 s: ${stderr.slice(-2000)}`)) }, 60_000)
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`${what} exited (${code}): ${stderr.slice(-2000)}`)) })
    child.stdout.on('data', d => {
      out += d
      const m = out.match(ready)
      if (m) { clearTimeout(timer); resolve({ child, found: m[1], stop, stderr: () => stderr, stdout: () => out }) }
    })
  })
}

/**
 * Two namespaces joined by the wire; returns {seedNs, leechNs, wire}. Its cleanups (kill what
 * runs in them, stop the wire, delete them) go on the stack at once, before anything can fail.
 */
async function makeLink (loss) {
  const tag = `${process.pid}-${loss}`.replace('.', '_')
  const seedNs = `shoal-seed-${tag}`
  const leechNs = `shoal-leech-${tag}`
  const devs = [`shs${process.pid % 100000}`, `shl${process.pid % 100000}`]
  for (const ns of [seedNs, leechNs]) {
    sh('ip', ['netns', 'add', ns])
    cleanups.push(async () => {
      // Anything still inside (a seeder, Chromium) was started by this script.
      for (const pid of spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
        try { process.kill(Number(pid), 'SIGKILL') } catch {}
      }
      spawnSync('ip', ['netns', 'del', ns])
    })
  }
  const wire = await spawnReady('python3', [path.join(here, 'wire.py'), devs[0], devs[1], String(loss), String(DELAY_MS)], /^(ready)$/m, 'wire.py')
  cleanups.push(() => wire.stop())
  for (const [dev, ns, ip] of [[devs[0], seedNs, SEED_IP], [devs[1], leechNs, LEECH_IP]]) {
    sh('ip', ['link', 'set', dev, 'netns', ns])
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev])
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up'])
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  }
  return { seedNs, leechNs, wire }
}

/** Runs the rest of this script inside the leecher's namespace (`--inner`), once per loss rate. */
async function lossRate (loss, harness, data) {
  const link = await makeLink(loss)
  const inner = spawn('ip', ['netns', 'exec', link.leechNs, process.execPath, fileURLToPath(import.meta.url), '--inner'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LOSS: String(loss), HARNESS: harness, DATA: data.file, DATA_SHA256: data.sha256, SEED_NS: link.seedNs, SHOAL_BIN: SHOAL }
  })
  cleanups.push(() => new Promise(resolve => {
    if (inner.exitCode !== null || inner.signalCode !== null) return resolve()
    inner.once('exit', resolve)
    inner.kill('SIGTERM')
  }))
  let out = ''
  inner.stdout.on('data', d => { out += d; process.stdout.write(d) })
  const code = await new Promise(resolve => inner.once('exit', resolve))
  if (code !== 0) throw new Error(`the runs at ${loss} % loss failed (exit ${code})`)
  // Counts of the wire for this loss rate: how much it dropped.
  await link.wire.stop()
  const counts = link.wire.stdout().split('\n').find(l => l.startsWith('forwarded=')) ?? ''
  return { loss, counts, runs: out.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l)) }
}

// ---- inside the leecher's namespace ----

const shoalPage = '<!doctype html><meta charset="utf-8"><title>Shoal runtime</title>' +
  '<script type="module">import init, { download_timed, leech_stats, take_download } from "/harness/interop_harness.js";' +
  ' await init(); window.shoalDownloadTimed = download_timed; window.shoalLeechStats = leech_stats;' +
  ' window.shoalTakeDownload = take_download;' +
  // The candidate pair the page's peer connection uses (checked: the namespaces' addresses).
  ' const PC = window.RTCPeerConnection; window.__pcs = [];' +
  ' window.RTCPeerConnection = function (...a) { const pc = new PC(...a); window.__pcs.push(pc); return pc };' +
  ' window.RTCPeerConnection.prototype = PC.prototype</script>'

async function candidatePair (page) {
  return page.evaluate(async () => {
    for (const pc of window.__pcs) {
      const stats = [...(await pc.getStats()).values()]
      const pair = stats.find(s => s.type === 'candidate-pair' && s.state === 'succeeded' && s.bytesReceived > 0)
      if (!pair) continue
      const local = stats.find(s => s.id === pair.localCandidateId)
      const remote = stats.find(s => s.id === pair.remoteCandidateId)
      return `${local.address}:${local.port} (${local.candidateType}) ↔ ${remote.address}:${remote.port} (${remote.candidateType})`
    }
    return null
  })
}

/**
 * UDP datagrams dropped because a socket's receive buffer was full, in this (the leecher's)
 * namespace: Chromium not reading its socket in time. The wire's own drops are counted by
 * wire.py; these are on top of them, so a "0 %" link can still lose packets here.
 */
function udpRcvbufErrors () {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter(l => l.startsWith('Udp:'))
  const names = lines[0]?.split(/\s+/) ?? []
  const values = lines[1]?.split(/\s+/) ?? []
  return Number(values[names.indexOf('RcvbufErrors')] ?? NaN)
}

async function innerOnce (stack, tracker, origin, round) {
  const seeder = await spawnReady('ip', ['netns', 'exec', process.env.SEED_NS, process.env.SHOAL_BIN, 'seed', process.env.DATA,
    '--tracker', tracker, '--webrtc-listen', `${SEED_IP}:0`, '--cache-dir', path.join(tmp.dir, 'cache'),
    // str0m is the default, so older binaries (without `--rtc`) can be measured too.
    ...(stack === 'str0m' ? [] : ['--rtc', stack])],
  /^(magnet:\?\S+)$/m, `shoal seed --rtc ${stack}`, { RUST_LOG: process.env.SEEDER_LOG ?? 'info', SHOAL_NO_DHT: 'true' })
  // sctp-proto's debug lines (str0m only): one per T3-rtx expiry, one per fast recovery left.
  // The log goes to stdout or stderr depending on the build: both are read.
  const sctp = { t3: 0, fr: 0 }
  const logFile = process.env.SEEDER_LOG_FILE ? createWriteStream(`${process.env.SEEDER_LOG_FILE}.${stack}.${process.env.LOSS}.${round}`) : null
  for (const stream of [seeder.child.stdout, seeder.child.stderr]) {
    let partial = ''
    stream.on('data', d => {
      logFile?.write(d)
      const lines = (partial + d).split('\n')
      partial = lines.pop()
      for (const line of lines) {
        if (line.includes('T3-rtx timed out')) sctp.t3++
        if (line.includes('exit fast-recovery')) sctp.fr++
      }
    })
  }
  const chrome = await launchChromium()
  try {
    const { page, errors } = await chrome.open(origin + '/shoal')
    await page.waitForFunction(() => typeof window.shoalDownloadTimed === 'function')
    const cpu0 = cpuSeconds(seeder.child.pid)
    const l0 = await chrome.cpu()
    const load = loadavg()[0]
    const rcvbuf0 = udpRcvbufErrors()
    const download = page.evaluate(async ({ magnet, tracker }) => {
      const r = await window.shoalDownloadTimed(magnet, tracker, 2 * 1024 * 1024)
      // The harness keeps the bytes it read until asked (for pageSha256).
      window.__chunks = [window.shoalTakeDownload()]
      return { metadataMs: r.metadataMs, doneMs: r.doneMs, length: r.length }
    }, { magnet: seeder.found, tracker })
    // The pair is read while the download runs (the connection closes when it ends).
    let pair = null
    const sampler = setInterval(async () => { pair ??= await candidatePair(page).catch(() => null) }, 500)
    const started = performance.now()
    let r
    try {
      r = await withTimeout(download, CAP_MS, 'downloading').finally(() => clearInterval(sampler))
    } catch (e) {
      if (!/took over/.test(e.message)) throw e
      // Capped: count what arrived (the page keeps downloading until it is closed).
      const stats = await page.evaluate(() => window.shoalLeechStats())
      const got = stats?.bytesFromPeers ?? stats?.bytes_from_peers ?? 0
      const ms = performance.now() - started
      const res = { loss: Number(process.env.LOSS), stack, round, capped: true, mibps: got / MiB / (ms / 1000), bytes: got, doneMs: ms, seederCpu: cpuSeconds(seeder.child.pid) - cpu0, load, pair, rcvbufErrors: udpRcvbufErrors() - rcvbuf0, ...sctp }
      console.log(JSON.stringify(res))
      return res
    }
    const sha = await pageSha256(page)
    if (r.length !== SIZE || sha !== process.env.DATA_SHA256) throw new Error(`${stack}: the download does not match the file (${r.length} bytes)`)
    if (errors.length) throw new Error(`${stack}: page errors: ${errors.join('; ')}`)
    const res = {
      loss: Number(process.env.LOSS),
      stack,
      round,
      mibps: SIZE / MiB / ((r.doneMs - r.metadataMs) / 1000),
      metadataMs: r.metadataMs,
      doneMs: r.doneMs,
      seederCpu: cpuSeconds(seeder.child.pid) - cpu0,
      leecherCpu: (await chrome.cpu()).renderer - l0.renderer,
      load,
      pair,
      rcvbufErrors: udpRcvbufErrors() - rcvbuf0,
      ...sctp
    }
    console.log(JSON.stringify(res))
    return res
  } finally {
    await chrome.close()
    await seeder.stop()
  }
}

async function inner () {
  const tracker = await spawnReady(SHOAL, ['tracker', '--listen', `${LEECH_IP}:0`], /(ws:\/\/[\d.]+:\d+)\//, 'shoal tracker', { RUST_LOG: 'warn', SHOAL_NO_DHT: 'true' })
  cleanups.push(() => tracker.stop())
  const file = name => () => readFileSync(path.join(process.env.HARNESS, name))
  const pages = await startPages(process.env.DATA, {
    '/shoal': { type: 'text/html', body: () => shoalPage },
    '/harness/interop_harness.js': { type: 'text/javascript', body: file('interop_harness.js') },
    '/harness/interop_harness_bg.wasm': { type: 'application/wasm', body: file('interop_harness_bg.wasm') }
  })
  cleanups.push(() => pages.stop())
  for (let round = 0; round < RUNS; round++) {
    const order = round % 2 ? [...STACKS].reverse() : STACKS
    for (const stack of order) await innerOnce(stack, tracker.found + '/', pages.origin, round)
  }
}

/**
 * The libdatachannel build's needs (CMake builds libdatachannel, usrsctp and libjuice; bindgen
 * needs libclang; OpenSSL is linked from the system), installed only when missing; then
 * `shoal` in release with the feature, unless SHOAL_BIN names one.
 */
function buildShoal () {
  const need = ['cmake', 'g++', 'libssl-dev', 'libclang-dev']
  const missing = need.filter(p => spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' }).stdout !== 'install ok installed')
  if (missing.length) sh('apt-get', ['install', '-y', '--no-install-recommends', ...missing])
  if (!process.env.SHOAL_BIN) runTool('cargo', ['build', '--release', '-p', 'shoal', '--features', 'libdatachannel'])
}

async function outer () {
  if (process.getuid?.() !== 0) throw new Error('run as root: it makes network namespaces and TUN devices')
  buildShoal()
  const help = spawnSync(SHOAL, ['seed', '--help'], { encoding: 'utf8' }).stdout ?? ''
  if (STACKS.includes('libdatachannel') && !help.includes('libdatachannel')) throw new Error(`${SHOAL} was built without --features libdatachannel`)
  const harness = buildReleaseHarness(path.join(tmp.dir, 'harness'))
  const data = randomFile(tmp.dir, NAME, SIZE)
  const before = machine()
  const results = []
  for (const loss of LOSSES) results.push(await lossRate(loss, harness, data))
  const after = machine()
  const fmt = v => Number.isNaN(v) ? '—' : v.toFixed(2)
  const rows = results.map(({ loss, runs, counts }) => {
    const m = stack => median(runs.filter(r => r.stack === stack).map(r => r.mibps))
    const sctp = r => COUNT_SCTP && r.stack === 'str0m' ? ` (t3 ${r.t3}, fr ${r.fr})` : ''
    const each = stack => runs.filter(r => r.stack === stack).map(r => `${r.mibps.toFixed(2)}${r.capped ? ' (capped)' : ''}${sctp(r)}, rcvbuf drops ${r.rcvbufErrors} @ load ${r.load.toFixed(1)}`).join('; ')
    const cpu = stack => median(runs.filter(r => r.stack === stack && !r.capped).map(r => r.seederCpu / (SIZE / MiB) * 1000))
    const cpuCell = stack => Number.isNaN(cpu(stack)) ? '— (capped)' : cpu(stack).toFixed(0)
    return `| ${loss} % | ${fmt(m('str0m'))} | ${fmt(m('libdatachannel'))} | ${fmt(m('str0m') / m('libdatachannel'))} | ${cpuCell('str0m')} / ${cpuCell('libdatachannel')} | str0m ${each('str0m')}; libdatachannel ${each('libdatachannel')}; wire ${counts} |`
  })
  // Ports differ per run; the addresses and candidate types are what is checked.
  const pairs = [...new Set(results.flatMap(r => r.runs.map(x => String(x.pair).replace(/:\d+/g, ':*'))))].join('; ')
  console.log(`
### Native seeder → Shoal page under loss: str0m against libdatachannel (issue 17, item 4)

Measured ${before.date.slice(0, 16).replace('T', ' ')} UTC on ${before.nproc} × ${before.model}, ${before.chromium};
load average ${before.load} before, ${after.load} after. ${SIZE / MiB} MiB of random bytes, \`shoal seed --rtc STACK\`
(release, built with \`--features libdatachannel\`) in one network namespace, the tracker and headless Chromium with
the Shoal page (the player's path: Client → metadata → Reader) in another, joined by bench/loss/wire.py: each
direction drops LOSS % of packets and delays the rest ${DELAY_MS} ms (RTT ${2 * DELAY_MS} ms). ${RUNS} rounds per loss rate,
the stacks alternating; median shown. ICE pairs seen: ${pairs}.

| loss | str0m MiB/s | libdatachannel MiB/s | str0m / libdatachannel | seeder CPU ms per MiB (str0m / libdatachannel) | runs (MiB/s @ 1-min load) |
|---|---|---|---|---|---|
${rows.join('\n')}

Command: \`node bench/loss/native-loss.mjs\` (as root; LOSSES=${LOSSES.join(',')}, DELAY_MS=${DELAY_MS}, SIZE_MIB=${SIZE / MiB}, RUNS=${RUNS}, CAP_S=${CAP_MS / 1000}).
`)
}

const main = process.argv.includes('--inner') ? inner : outer
main().then(cleanup, async err => { console.error(err); await cleanup(); process.exit(1) })
