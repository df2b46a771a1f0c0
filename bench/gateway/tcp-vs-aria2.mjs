// The gateway against aria2c on one loopback TCP swarm: Transmission seeds one file of SIZE_MIB
// (default 256) MiB with 256 KiB pieces, announced to bittorrent-tracker over HTTP. Each run,
// alternately: (a) `shoal serve` adds the .torrent and `GET /stream/HASH/0` is read to the end
// (time to the first body byte from the POST, throughput, the companion's CPU seconds); (b)
// aria2c downloads the same torrent (time until its file has bytes, throughput). The gateway's
// torrent is deleted between runs, so every run starts empty. Never run by CI.
//
//   cargo build --release -p shoal
//   SHOAL_BIN=target/release/shoal node bench/gateway/tcp-vs-aria2.mjs   # env SIZE_MIB, RUNS
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawnShoal } from '../../tests/support/shoal.mjs'
import { freePort, makeTorrent, runAsync, sleep, startTracker, startTransmission, waitFor } from '../../tests/support/bt-swarm.mjs'

const SIZE = Number(process.env.SIZE_MIB ?? 256) * 1024 * 1024
const RUNS = Number(process.env.RUNS ?? 2)
const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mibps = (bytes, ms) => bytes / 1024 / 1024 / (ms / 1000)

/** User + system CPU seconds of a process so far. */
function cpuSeconds (pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const dir = mkdtempSync(path.join(tmpdir(), 'shoal-gw-bench-'))
let tracker, transmission, shoal
try {
  for (const d of ['seed', 'tr', 'dist', 'library', 'gateway', 'cache']) mkdirSync(path.join(dir, d))
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
  transmission = await startTransmission(path.join(dir, 'tr'), path.join(dir, 'seed'))
  const t = makeTorrent(file, tracker.http, path.join(dir, 'big.torrent'), 256)
  transmission.remote('-a', t.torrent, '-w', path.join(dir, 'seed'))
  await transmission.seeding(t.infoHash)
  await waitFor('the tracker listing Transmission', () => tracker.seeders(t.infoHash) >= 1, 60_000)
  writeFileSync(path.join(dir, 'dist', 'index.html'), '<p>bench</p>')
  shoal = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', path.join(dir, 'dist'),
    '--library', path.join(dir, 'library'), '--cache-dir', path.join(dir, 'cache'), '--no-webrtc',
    '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(dir, 'gateway')], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', timeoutMs: 60_000
  })
  const base = shoal.found
  let log = ''
  shoal.child.stdout.on('data', d => { log += d })
  process.on('exit', () => { if (process.env.SHOAL_BENCH_LOG) writeFileSync(process.env.SHOAL_BENCH_LOG, log) })
  const rows = { gateway: [], aria2: [] }
  for (let run = 0; run < RUNS; run++) {
    // (a) the gateway.
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
    rows.gateway.push({ first, total, cpuPerGiB: cpu / (SIZE / 2 ** 30) })
    await fetch(`${base}/api/torrents/${t.infoHash}`, { method: 'DELETE' })

    // (b) aria2c.
    const out = path.join(dir, `aria2-${run}`)
    mkdirSync(out)
    const a0 = performance.now()
    let aFirst = null
    const target = path.join(out, 'big.mkv')
    const poll = setInterval(() => {
      try { if (aFirst === null && statSync(target).size > 0) aFirst = performance.now() - a0 } catch {}
    }, 5)
    const r = await runAsync('aria2c', ['--enable-dht=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
      '--seed-time=0', '--file-allocation=none', '--listen-port', String(await freePort()), '--dir', out,
      '--console-log-level=error', '--summary-interval=0', t.torrent], 600_000)
    clearInterval(poll)
    const aTotal = performance.now() - a0
    if (r.status !== 0) throw new Error(`aria2c: ${r.output}`)
    rows.aria2.push({ first: aFirst, total: aTotal })
    rmSync(out, { recursive: true })
    await sleep(500)
  }
  const line = (name, rs, cpu) => `| ${name} | ${median(rs.map(r => r.first)).toFixed(0)} ms | ${mibps(SIZE, median(rs.map(r => r.total))).toFixed(1)} MiB/s | ${cpu} |`
  console.log(JSON.stringify(rows))
  console.log(`\n${SIZE / 2 ** 20} MiB, ${RUNS} run(s) each, medians:\n`)
  console.log('| client | first byte | throughput | companion CPU per GiB |')
  console.log('|---|---|---|---|')
  console.log(line('shoal gateway (`GET /stream`, from the POST)', rows.gateway, `${median(rows.gateway.map(r => r.cpuPerGiB)).toFixed(2)} s`))
  console.log(line('aria2c 1.36 (first bytes on disk)', rows.aria2, '—'))
} finally {
  if (shoal) await shoal.stop()
  if (transmission) transmission.kill()
  if (tracker) await tracker.close()
  rmSync(dir, { recursive: true, force: true })
}
