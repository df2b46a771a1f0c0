// The gateway after `DELETE /api/torrents/HASH` and adding the same torrent again, as the
// benchmark does it: Debian's transmission-daemon seeds one file announced to npm
// bittorrent-tracker over HTTP; `shoal serve` adds the .torrent and streams it whole; the torrent
// is deleted; aria2c downloads the same torrent from Transmission; the gateway adds it again and
// streams it whole again, and a third time right after, byte-exact each time, every byte from
// the TCP peer.
//
// aria2c runs from its own loopback address (127.0.0.2), as another client on the network
// would. Transmission 3.00 keeps one "atom" per peer IP address: when aria2c, on the
// gateway's 127.0.0.1, finished and was marked a seed, every later connection from 127.0.0.1
// was taken for that seed and, both sides seeding (PEX off), closed right after its handshake,
// which was the benchmark's 504 after a re-add (seen in Transmission's log with SHOAL_TR_LOG).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort, makeTorrent, runAsync, startTracker, startTransmission, waitFor, startGatewayServe } from '../support/bt-swarm.mjs'

const sha1 = b => createHash('sha1').update(b).digest('hex')

describe('gateway: delete and add again', () => {
  let dir, tracker, transmission, shoal, base, f
  let shoalLog = ''

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shoal-gateway-readd-'))
    for (const d of ['seed', 'tr', 'aria2']) mkdirSync(path.join(dir, d))
    tracker = await startTracker()
    transmission = await startTransmission(path.join(dir, 'tr'), path.join(dir, 'seed'))
    const file = path.join(dir, 'seed', 'film.mkv')
    const bytes = randomBytes(3 * 1024 * 1024 + 4321)
    writeFileSync(file, bytes)
    f = { bytes, ...makeTorrent(file, tracker.http, path.join(dir, 'film.torrent'), 64) }
    transmission.remote('-a', f.torrent, '-w', path.join(dir, 'seed'))
    await transmission.seeding(f.infoHash)
    await waitFor('the tracker listing Transmission', () => tracker.seeders(f.infoHash) >= 1)
    shoal = await startGatewayServe(dir, [], { log: process.env.SHOAL_TEST_LOG_LEVEL ?? 'info' })
    base = shoal.found
    shoal.child.stdout.on('data', d => { shoalLog += d })
  })

  after(async () => {
    if (shoal) await shoal.stop()
    if (shoal && process.env.SHOAL_TEST_LOG) writeFileSync(process.env.SHOAL_TEST_LOG, shoalLog + shoal.stderr())
    if (transmission) transmission.kill()
    if (tracker) await tracker.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** POST, stream whole, check, DELETE. */
  async function round (name) {
    const added = await fetch(`${base}/api/torrents`, { method: 'POST', body: readFileSync(f.torrent) })
    assert.equal(added.status, 201, `${name}: ${await added.text()}`)
    const res = await fetch(`${base}/stream/${f.infoHash}/0`)
    const body = Buffer.from(await res.arrayBuffer())
    assert.equal(res.status, 200, `${name}: ${body}`)
    assert.equal(sha1(body), sha1(f.bytes), `${name}: byte-exact`)
    const status = await (await fetch(`${base}/api/torrents/${f.infoHash}`)).json()
    assert.equal(status.downloaded, f.bytes.length, `${name}: every byte from the TCP peer`)
    const gone = await fetch(`${base}/api/torrents/${f.infoHash}`, { method: 'DELETE' })
    assert.equal(gone.status, 204)
  }

  test('the same torrent streams byte-exact after DELETE, another client, a second POST and a third', async () => {
    await round('first add')
    const out = path.join(dir, 'aria2')
    const r = await runAsync('aria2c', ['--interface', process.env.SHOAL_TEST_ARIA2_IP ?? '127.0.0.2',
      '--enable-dht=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
      '--seed-time=0', '--listen-port', String(await freePort()), '--dir', out,
      '--console-log-level=warn', '--summary-interval=0', f.torrent], 120_000)
    assert.equal(r.status, 0, r.output)
    assert.equal(sha1(readFileSync(path.join(out, 'film.mkv'))), sha1(f.bytes), 'aria2c got it from Transmission')
    await round('second add')
    // A third add right after the second, from the same address. It failed once in the full
    // suite and once in 4 repeated runs (a 504 after the 60 s wait, "1 connected"): the removed
    // torrent's task deleted its piece folder after the new torrent had made the same one, so
    // every piece the new one downloaded failed to store ("No such file or directory" in the
    // companion's log) and was fetched again and again. Each add now has its own folder.
    await round('third add')
  })
})
