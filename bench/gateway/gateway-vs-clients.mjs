// The gateway beside aria2c and Transmission on one loopback TCP swarm (issue 15's benchmark):
// Transmission seeds one file of SIZE_MIB (default 256) MiB with 256 KiB pieces, announced to
// bittorrent-tracker over HTTP. Each run measures, in a rotated order, (a) `shoal serve`: POST
// the .torrent, then `GET /stream/HASH/0` read to the end (first byte and total from the POST;
// the companion's CPU seconds); (b) aria2c 1.36 and (c) a second transmission-daemon each
// downloading the same torrent (first byte = when its file first has bytes on disk; total = the
// file complete; their CPU seconds from /proc). For the Transmission leecher the script also
// records, from its RPC polled every 100 ms, when it first held a received block
// (haveUnchecked + haveValid > 0) and a verified piece (haveValid > 0). Every download is
// checked by SHA-1. Median of RUNS (default 3); the load average is printed for every
// measurement.
//
// Every measurement gets a freshly started seeder (a new Transmission config folder) and the
// tracker forgets the torrent's peers first: a Transmission killed without a `stopped` announce
// stays listed for 20 minutes, and Transmission keeps one peer entry per IP address, so a fresh
// seeder took the dead port of an earlier run's leecher on the same address, found it refused
// and waited 900 s to retry (its log: "marking peer ... as unreachable", "reconnect interval
// ... is 900 seconds"), never dialing the new leecher's port: the old stalls of 7-20 minutes.
// Each client has its own address (Transmission keys peers by IP address; docs/gateway.md):
// the gateway 127.0.0.1, aria2c 127.0.0.2, both from a seeder on 127.0.0.1; the Transmission
// leecher 127.0.0.3 from a seeder on this machine's first non-loopback IPv4 address (the
// kernel still keeps the traffic local). Transmission never dials a 127.x address a tracker
// lists ("got 4 peers", no atom for the 127.x ones in its log), so a leecher could not dial a
// seeder on 127.0.0.1 and waited for the seeder to dial it at the seeder's next announce (30 s
// interval; `--reannounce` is ignored that soon after its `started` one); with the seeder on
// the non-loopback address the leecher dials it on the answer to its `started` announce, as
// aria2c and the gateway do. The leecher does not share that address with the seeder: the
// tracker lists every HTTP peer to itself too, and a Transmission that took its own port for
// the address dials itself. Never run by CI.
//
//   cargo build --release -p shoal
//   SHOAL_BIN=target/release/shoal node bench/gateway/gateway-vs-clients.mjs
//   env: SIZE_MIB, RUNS, CLIENTS (default gateway,aria2c; add transmission), SHOAL_TR_LOG=FILE
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, createReadStream, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { loadavg, networkInterfaces, tmpdir } from 'node:os'
import path from 'node:path'
import { spawnShoal } from '../../tests/support/shoal.mjs'
import { freePort, makeTorrent, sleep, startTracker, startTransmission, waitFor } from '../../tests/support/bt-swarm.mjs'

const SIZE = Number(process.env.SIZE_MIB ?? 256) * 1024 * 1024
const RUNS = Number(process.env.RUNS ?? 3)
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mibps = (bytes, ms) => bytes / 1024 / 1024 / (ms / 1000)
const gib = SIZE / 2 ** 30
/** This machine's first non-loopback IPv4 address (the seeder's for the Transmission leecher). */
const HOST_IP = Object.values(networkInterfaces()).flat().find(a => a.family === 'IPv4' && !a.internal)?.address

/** User + system CPU seconds of a process so far (null once it is gone). */
function cpuSeconds (pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch { return null }
}

async function sha1File (file) {
  const h = createHash('sha1')
  for await (const chunk of createReadStream(file)) h.update(chunk)
  return h.digest('hex')
}

/** Polls `file` every 5 ms: resolves the ms (since `t0`) it first had bytes; `stop()` ends it. */
function watchFirstBytes (file, t0) {
  let first = null
  const poll = setInterval(() => {
    try { if (first === null && statSync(file).size > 0) first = performance.now() - t0 } catch {}
  }, 5)
  return { first: () => first, stop: () => clearInterval(poll) }
}

const dir = mkdtempSync(path.join(tmpdir(), 'shoal-gw-bench-'))
let tracker, shoal
const seeders = []
try {
  for (const d of ['seed', 'dist', 'library', 'gateway', 'cache']) mkdirSync(path.join(dir, d))
  const file = path.join(dir, 'seed', 'big.mkv')
  const sha = createHash('sha1')
  const fd = openSync(file, 'w')
  for (let left = SIZE; left > 0; left -= 1 << 20) {
    const chunk = randomBytes(Math.min(left, 1 << 20))
    sha.update(chunk)
    writeSync(fd, chunk)
  }
  closeSync(fd)
  const digest = sha.digest('hex')
  tracker = await startTracker()
  const t = makeTorrent(file, tracker.http, path.join(dir, 'big.torrent'), 256)

  const names = []
  let seederN = 0
  /**
   * A fresh seeder on `bind`: the tracker's peers of the torrent forgotten, a new config folder
   * (no peers remembered), the file verified, announced.
   */
  async function freshSeeder (bind = '127.0.0.1') {
    tracker.forget(t.infoHash)
    const conf = path.join(dir, `seeder-${seederN++}`)
    const s = await startTransmission(conf, path.join(dir, 'seed'), { bind })
    seeders.push(s)
    s.remote('-a', t.torrent, '-w', path.join(dir, 'seed'))
    await s.seeding(t.infoHash)
    // Its `started` announce goes out once the check is done; on loopback it lands at once.
    await sleep(1500)
    return { stop: () => { s.kill(); seeders.splice(seeders.indexOf(s), 1); rmSync(conf, { recursive: true, force: true }) } }
  }

  writeFileSync(path.join(dir, 'dist', 'index.html'), '<p>bench</p>')
  shoal = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', path.join(dir, 'dist'),
    '--library', path.join(dir, 'library'), '--cache-dir', path.join(dir, 'cache'), '--no-webrtc',
    '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(dir, 'gateway')], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', timeoutMs: 60_000
  })
  const base = shoal.found

  const clients = {
    async gateway () {
      const cpu0 = cpuSeconds(shoal.child.pid)
      const t0 = performance.now()
      const added = await fetch(`${base}/api/torrents`, { method: 'POST', body: readFileSync(t.torrent) })
      if (added.status !== 201) throw new Error(`POST: ${added.status} ${await added.text()}`)
      const res = await fetch(`${base}/stream/${t.infoHash}/0`)
      if (res.status !== 200) throw new Error(`GET /stream: ${res.status} ${await res.text()}`)
      const reader = res.body.getReader()
      const h = createHash('sha1')
      let first = null
      let got = 0
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        if (first === null) first = performance.now() - t0
        h.update(value)
        got += value.length
      }
      const total = performance.now() - t0
      const cpu = cpuSeconds(shoal.child.pid) - cpu0
      if (got !== SIZE || h.digest('hex') !== digest) throw new Error(`the gateway streamed ${got} bytes with a different hash`)
      const gone = await fetch(`${base}/api/torrents/${t.infoHash}`, { method: 'DELETE' })
      if (gone.status !== 204) throw new Error(`DELETE: ${gone.status}`)
      return { first, total, cpu }
    },
    async aria2c (run) {
      const out = path.join(dir, `aria2-${run}`)
      mkdirSync(out)
      const target = path.join(out, 'big.mkv')
      const t0 = performance.now()
      const watch = watchFirstBytes(target, t0)
      const child = spawn('aria2c', ['--interface', '127.0.0.2', '--enable-dht=false', '--bt-enable-lpd=false',
        '--enable-peer-exchange=false', '--seed-time=0', '--file-allocation=none', '--listen-port', String(await freePort()),
        '--dir', out, '--console-log-level=error', '--summary-interval=0', t.torrent], { stdio: ['ignore', 'pipe', 'pipe'] })
      let output = ''
      child.stdout.on('data', d => { output += d })
      child.stderr.on('data', d => { output += d })
      // Its CPU, read until it exits (the last reading is at most 20 ms old).
      let cpu = 0
      const cpuPoll = setInterval(() => { cpu = cpuSeconds(child.pid) ?? cpu }, 20)
      const status = await new Promise(resolve => child.on('exit', resolve))
      const total = performance.now() - t0
      clearInterval(cpuPoll)
      watch.stop()
      if (status !== 0) throw new Error(`aria2c: ${output}`)
      if (await sha1File(target) !== digest) throw new Error('aria2c: a different hash')
      rmSync(out, { recursive: true })
      return { first: watch.first(), total, cpu }
    },
    async transmission (run) {
      const out = path.join(dir, `tr-leech-${run}`)
      const conf = path.join(dir, `tr-leech-conf-${run}`)
      mkdirSync(out)
      const leech = await startTransmission(conf, out, {
        bind: '127.0.0.3',
        // The file under its own name from the first byte, growing as pieces land.
        settings: { 'rename-partial-files': false, preallocation: 0 }
      })
      seeders.push(leech)
      try {
        const target = path.join(out, 'big.mkv')
        const cpu0 = cpuSeconds(leech.pid)
        const t0 = performance.now()
        const watch = watchFirstBytes(target, t0)
        leech.remote('-a', t.torrent, '-w', out)
        let block = null
        let verified = null
        await waitFor('the Transmission leecher to finish', async () => {
          const [tor] = (await leech.rpc('torrent-get', { ids: [t.infoHash], fields: ['haveUnchecked', 'haveValid', 'percentDone'] })).torrents
          const now = performance.now() - t0
          if (block === null && tor.haveUnchecked + tor.haveValid > 0) block = now
          if (verified === null && tor.haveValid > 0) verified = now
          return tor.percentDone === 1
        }, 900_000, 100)
        const total = performance.now() - t0
        const cpu = cpuSeconds(leech.pid) - cpu0
        watch.stop()
        if (await sha1File(target) !== digest) throw new Error('transmission: a different hash')
        return { first: watch.first(), total, cpu, block, verified }
      } finally {
        leech.kill()
        seeders.splice(seeders.indexOf(leech), 1)
        rmSync(out, { recursive: true, force: true })
        rmSync(conf, { recursive: true, force: true })
      }
    }
  }
  if (!HOST_IP) {
    console.log('no non-loopback IPv4 address: the Transmission leecher is left out')
    delete clients.transmission
  }
  // The Transmission leecher is opt-in (CLIENTS=gateway,aria2c,transmission).
  const wanted = (process.env.CLIENTS ?? 'gateway,aria2c').split(',')
  names.push(...Object.keys(clients).filter(n => wanted.includes(n)))
  const rows = Object.fromEntries(names.map(n => [n, []]))
  const failed = {}
  for (let run = 0; run < RUNS; run++) {
    const order = names.map((_, i) => names[(i + run) % names.length])
    for (const name of order) {
      const seeder = await freshSeeder(name === 'transmission' ? HOST_IP : '127.0.0.1')
      const loadBefore = loadavg()[0]
      let r
      try {
        r = await clients[name](run)
      } catch (e) {
        // One failed measurement (a stall, a wrong hash) is reported; the others still count.
        console.log(`run ${run + 1} ${name}: FAILED: ${e.message}`)
        failed[name] = (failed[name] ?? 0) + 1
        continue
      } finally {
        seeder.stop()
      }
      r.load = [loadBefore, loadavg()[0]]
      rows[name].push(r)
      const extra = r.block === undefined ? '' : ` (first block received ${r.block?.toFixed(0)} ms, first piece verified ${r.verified?.toFixed(0)} ms)`
      console.log(`run ${run + 1} ${name}: first byte ${r.first?.toFixed(0)} ms${extra}, ${mibps(SIZE, r.total).toFixed(1)} MiB/s, ` +
        `after the first byte ${mibps(SIZE, r.total - r.first).toFixed(1)} MiB/s, CPU ${r.cpu.toFixed(2)} s, ` +
        `load ${r.load.map(l => l.toFixed(1)).join(' → ')}, ${new Date().toISOString()}`)
      await sleep(1000)
    }
  }
  console.log(JSON.stringify(rows))
  console.log(`\n${SIZE / 2 ** 20} MiB, ${RUNS} run(s) each, medians:\n`)
  console.log('| client | first byte | throughput | after the first byte | CPU per GiB |')
  console.log('|---|---|---|---|---|')
  const labels = {
    gateway: 'shoal gateway (`GET /stream`, from the POST; the companion\'s CPU)',
    aria2c: 'aria2c (first bytes on disk)',
    transmission: 'transmission-daemon 3.00 (first bytes on disk)'
  }
  for (const name of names) {
    const rs = rows[name]
    if (rs.length === 0) { console.log(`| ${labels[name]} | no measurement (${failed[name]} failed) | | | |`); continue }
    console.log(`| ${labels[name]} | ${median(rs.map(r => r.first)).toFixed(0)} ms | ` +
      `${mibps(SIZE, median(rs.map(r => r.total))).toFixed(1)} MiB/s | ${mibps(SIZE, median(rs.map(r => r.total - r.first))).toFixed(1)} MiB/s | ` +
      `${(median(rs.map(r => r.cpu)) / gib).toFixed(2)} s |`)
  }
  if (rows.transmission?.length) {
    const rs = rows.transmission
    console.log(`\nTransmission leecher, medians: first block received ${median(rs.map(r => r.block)).toFixed(0)} ms, ` +
      `first piece verified ${median(rs.map(r => r.verified)).toFixed(0)} ms`)
  }
  for (const [name, n] of Object.entries(failed)) console.log(`${name}: ${n} measurement(s) failed (see above)`)
} finally {
  if (shoal) await shoal.stop()
  for (const s of seeders) s.kill()
  if (tracker) await tracker.close()
  rmSync(dir, { recursive: true, force: true })
}
