// Peer exchange from the gateway reaches a real client (BEP 11). Debian's transmission-daemon
// seeds one file and tells no tracker (its torrent has none; DHT, LPD and PEX off), so the only
// one who knows where it is is the gateway, handed its address in the magnet (`x.pe`). aria2c,
// from its own loopback address (127.0.0.2) and with DHT and LPD off, finds only the gateway
// (through the HTTP tracker the gateway announces to). aria2c can learn Transmission's address
// only from the gateway's `ut_pex` message: the test passes when aria2c's own debug log names
// that address (aria2c 1.36 logs "extended ut_pex added=1" and adds the peer) and its copy of
// the file is byte-exact. Whether aria2c then dials it is its own choice (with the gateway
// already serving every piece, 1.36 did not).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, makeTorrent, runAsync, startTracker, startTransmission, waitFor, startGatewayServe } from '../support/bt-swarm.mjs'

const sha1 = b => createHash('sha1').update(b).digest('hex')

describe('gateway: peer exchange', () => {
  let dir, tracker, transmission, shoal, base, hidden, listed, bytes

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shoal-gateway-pex-'))
    for (const d of ['seed', 'tr', 'aria2']) mkdirSync(path.join(dir, d))
    tracker = await startTracker()
    transmission = await startTransmission(path.join(dir, 'tr'), path.join(dir, 'seed'))
    const file = path.join(dir, 'seed', 'film.mkv')
    bytes = randomBytes(2 * 1024 * 1024 + 777)
    writeFileSync(file, bytes)
    // One info dict, two torrents: Transmission's names no tracker, aria2c's names ours.
    hidden = makeTorrent(file, null, path.join(dir, 'hidden.torrent'), 64)
    listed = makeTorrent(file, tracker.http, path.join(dir, 'listed.torrent'), 64)
    assert.equal(hidden.infoHash, listed.infoHash)
    transmission.remote('-a', hidden.torrent, '-w', path.join(dir, 'seed'))
    await transmission.seeding(hidden.infoHash)
    shoal = await startGatewayServe(dir)
    base = shoal.found
  })

  after(async () => {
    if (shoal) await shoal.stop()
    if (transmission) transmission.kill()
    if (tracker) await tracker.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('a client that knows only the gateway is told where the seeder is', async () => {
    const magnet = `magnet:?xt=urn:btih:${listed.infoHash}&tr=${encodeURIComponent(tracker.http)}` +
      `&x.pe=127.0.0.1:${transmission.peerPort}`
    const added = await fetch(`${base}/api/torrents`, { method: 'POST', body: magnet })
    assert.equal(added.status, 201, await added.text())
    // The gateway is connected to Transmission (it got the metadata from it) and listed.
    await waitFor('the gateway connected to Transmission', async () => {
      const s = await (await fetch(`${base}/api/torrents/${listed.infoHash}`)).json()
      return s.peers >= 1 && Array.isArray(s.files) && s.files.length === 1
    })
    await waitFor('the tracker listing the gateway', () => tracker.server.torrents[listed.infoHash]?.incomplete +
      tracker.server.torrents[listed.infoHash]?.complete >= 1)
    const out = path.join(dir, 'aria2')
    const log = path.join(dir, 'aria2.log')
    const r = await runAsync('aria2c', ['--interface', '127.0.0.2',
      '--enable-dht=false', '--bt-enable-lpd=false', '--enable-peer-exchange=true',
      '--seed-time=0', '--listen-port', String(await freePort()), '--dir', out,
      '--log', log, '--log-level=debug',
      '--console-log-level=warn', '--summary-interval=0', listed.torrent], 120_000)
    assert.equal(r.status, 0, r.output)
    assert.equal(sha1(readFileSync(path.join(out, 'film.mkv'))), sha1(bytes), 'aria2c has the file, byte-exact')
    const said = readFileSync(log, 'utf8')
    const seeder = `127.0.0.1:${transmission.peerPort}`
    if (process.env.SHOAL_TEST_LOG) writeFileSync(process.env.SHOAL_TEST_LOG, said)
    assert.ok(said.includes(seeder), `aria2c heard of Transmission (${seeder}), whose address only the gateway knew`)
  })
})
