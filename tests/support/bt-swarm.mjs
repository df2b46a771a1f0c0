// An ordinary TCP BitTorrent swarm on loopback for the gateway's tests and benchmark: npm
// bittorrent-tracker (HTTP and UDP) in this process, and Debian's transmission-daemon with its
// own config dir (no DHT, LPD, PEX, uTP or port mapping; peer and RPC ports on 127.0.0.1).
import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { Server } from 'bittorrent-tracker'
import { runShoal, runTool, spawnShoal } from './shoal.mjs'

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

export async function freePort () {
  const s = net.createServer()
  await new Promise(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = s.address().port
  await new Promise(resolve => s.close(resolve))
  return port
}

/** Polls `check` (async; truthy ends the wait) every `everyMs`; throws `what` after `ms`. */
export async function waitFor (what, check, ms = 60_000, everyMs = 250) {
  const end = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(everyMs)
  }
}

/**
 * Runs `cmd ARGS` without blocking this process (the trackers answer from its event loop);
 * resolves with {status, output}; killed after `ms`.
 */
export function runAsync (cmd, args, ms) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', d => { output += d })
    child.stderr.on('data', d => { output += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    child.on('error', reject)
    child.on('exit', status => { clearTimeout(timer); resolve({ status, output }) })
  })
}

/** The tracker on 127.0.0.1 (HTTP and UDP, `interval` ms); resolves with {server, http, udp, close()}. */
export async function startTracker ({ interval = 30_000 } = {}) {
  const server = new Server({ http: true, udp: true, ws: false, stats: false, interval })
  server.on('error', () => {})
  server.on('warning', () => {})
  await new Promise(resolve => server.listen({ http: 0, udp: 0 }, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, resolve))
  return {
    server,
    http: `http://127.0.0.1:${server.http.address().port}/announce`,
    udp: `udp://127.0.0.1:${server.udp4.address().port}`,
    /** Seeders the tracker lists for `infoHash`. */
    seeders: infoHash => server.torrents[infoHash]?.complete ?? 0,
    /**
     * Forgets every peer of `infoHash`. A client killed without a `stopped` announce stays
     * listed for 20 minutes (bittorrent-tracker's peer cache), and Transmission, which keeps
     * one entry per IP address, then dials that dead port instead of a newer peer's.
     */
    forget: infoHash => { delete server.torrents[infoHash] },
    close: () => new Promise(resolve => server.close(resolve))
  }
}

/** A 20-second 640x360 H.264 MP4 (about 1.5 MB): long enough that its bytes take a while. */
export function makeVideo (file) {
  const r = runTool('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=20:size=640x360:rate=25',
    '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-b:v', '600k', '-movflags', '+faststart', '-y', file], { what: 'ffmpeg' })
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`)
}

/**
 * `transmission-create` with one tracker (none when `announce` is null: a DHT-only torrent),
 * then `shoal info`: {torrent, infoHash, pieces}.
 */
export function makeTorrent (file, announce, out, pieceKiB = 32) {
  const tracker = announce ? ['-t', announce] : []
  const r = runTool('transmission-create', ['-o', out, ...tracker, '-s', String(pieceKiB), file])
  if (r.status !== 0) throw new Error(`transmission-create: ${r.stderr}`)
  const info = JSON.parse(runShoal(['info', out]).stdout)
  return { torrent: out, infoHash: info.infoHash, pieces: info.pieceCount }
}

/**
 * transmission-daemon in `dir` (its config folder), downloading to and seeding from
 * `downloads`, its peer and tracker traffic from `bind` (another 127.x.y.z keeps it apart from
 * other clients on this machine: Transmission keys the peers it knows by IP address);
 * `settings` are merged into its settings.json. Resolves with
 * {remote(...args), rpc(method, args), seeding(infoHash), peerPort, pid, kill()}.
 */
export async function startTransmission (dir, downloads, { bind = '127.0.0.1', settings = {} } = {}) {
  mkdirSync(dir, { recursive: true })
  const rpc = await freePort()
  const peerPort = await freePort()
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    'port-forwarding-enabled': false,
    'peer-port': peerPort,
    'peer-port-random-on-start': false,
    'bind-address-ipv4': bind,
    'rpc-port': rpc,
    'rpc-bind-address': '127.0.0.1',
    'rpc-authentication-required': false,
    'rpc-whitelist-enabled': false,
    'rpc-host-whitelist-enabled': false,
    'download-dir': downloads,
    'incomplete-dir-enabled': false,
    encryption: 0,
    'start-added-torrents': true,
    'ratio-limit-enabled': false,
    'speed-limit-up-enabled': false,
    'speed-limit-down-enabled': false,
    // SHOAL_TR_LOG=FILE keeps Transmission's debug log there, with its per-peer ("deep")
    // messages, which 3.00 writes to the descriptor named by TR_DEBUG_FD (for diagnosing).
    'message-level': process.env.SHOAL_TR_LOG ? 3 : 1,
    ...settings
  }))
  const logFile = process.env.SHOAL_TR_LOG ? openSync(process.env.SHOAL_TR_LOG, 'a') : 'ignore'
  const child = spawn('transmission-daemon', ['-f', '-g', dir], {
    stdio: ['ignore', logFile, logFile],
    env: process.env.SHOAL_TR_LOG ? { ...process.env, TR_DEBUG_FD: '2' } : process.env
  })
  if (typeof logFile === 'number') closeSync(logFile)
  const remote = (...args) => {
    const r = runTool('transmission-remote', [`127.0.0.1:${rpc}`, ...args], { timeoutMs: 30_000 })
    if (r.status !== 0) throw new Error(`transmission-remote ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    return r.stdout
  }
  await waitFor('transmission RPC', () => runTool('transmission-remote', [`127.0.0.1:${rpc}`, '-l']).status === 0, 20_000)
  // Its JSON-RPC over fetch: unlike `remote`, it does not block this process's event loop.
  let session = ''
  /** One RPC call (`method`, `args`); resolves with its `arguments`. */
  const rpcCall = async (method, args = {}) => {
    for (let tries = 0; tries < 2; tries++) {
      const res = await fetch(`http://127.0.0.1:${rpc}/transmission/rpc`, {
        method: 'POST', headers: { 'X-Transmission-Session-Id': session }, body: JSON.stringify({ method, arguments: args })
      })
      if (res.status === 409) { session = res.headers.get('x-transmission-session-id'); continue }
      const body = await res.json()
      if (body.result !== 'success') throw new Error(`transmission RPC ${method}: ${body.result}`)
      return body.arguments
    }
    throw new Error(`transmission RPC ${method}: no session id`)
  }
  /** Waits until torrent `infoHash` is verified and seeding (it refuses peers while it checks). */
  const seeding = (infoHash, ms = 300_000) => waitFor(`transmission seeding ${infoHash}`, () => {
    const info = runTool('transmission-remote', [`127.0.0.1:${rpc}`, '-t', infoHash, '-i']).stdout
    return /Percent Done: 100%/.test(info) && /State: (Seeding|Idle)/.test(info)
  }, ms)
  return { remote, rpc: rpcCall, seeding, peerPort, pid: child.pid, kill: () => child.kill('SIGKILL') }
}

/**
 * `shoal serve` as a gateway only (no WebRTC seeder, a one-line app) on loopback, its folders
 * made under `dir` (`dist`, `library`, `cache`, `gateway`), with `extra` arguments; `opts` go to
 * spawnShoal. Resolves with spawnShoal's handle (`found` is the base URL).
 */
export async function startGatewayServe (dir, extra = [], opts = {}) {
  for (const d of ['dist', 'library', 'cache', 'gateway']) mkdirSync(path.join(dir, d), { recursive: true })
  writeFileSync(path.join(dir, 'dist', 'index.html'), '<p>app</p>')
  return spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', path.join(dir, 'dist'),
    '--library', path.join(dir, 'library'), '--cache-dir', path.join(dir, 'cache'), '--no-webrtc',
    '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(dir, 'gateway'), ...extra], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', timeoutMs: 60_000, ...opts
  })
}
