// The gateway's disk cap (`--gateway-max-disk-mib`): Debian's transmission-daemon seeds two
// 3 MiB files, announced to npm bittorrent-tracker over HTTP; `shoal serve` with a 4 MiB cap
// streams the first whole, then the second. Both no longer fit: the first (idle, least recently
// streamed) is removed, its folder with it, and the second stays; `/metrics` counts it. Adding
// the first again streams it again, byte-exact.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { makeTorrent, startTracker, startTransmission, waitFor, startGatewayServe } from '../support/bt-swarm.mjs'

const sha1 = b => createHash('sha1').update(b).digest('hex')

describe('gateway: disk cap', () => {
  let dir, tracker, transmission, shoal, base
  const files = {}

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shoal-gateway-disk-'))
    for (const d of ['seed', 'tr']) mkdirSync(path.join(dir, d))
    tracker = await startTracker()
    transmission = await startTransmission(path.join(dir, 'tr'), path.join(dir, 'seed'))
    for (const name of ['first', 'second']) {
      const file = path.join(dir, 'seed', `${name}.mkv`)
      const bytes = randomBytes(3 * 1024 * 1024)
      writeFileSync(file, bytes)
      files[name] = { bytes, ...makeTorrent(file, tracker.http, path.join(dir, `${name}.torrent`), 64) }
      transmission.remote('-a', files[name].torrent, '-w', path.join(dir, 'seed'))
    }
    for (const f of Object.values(files)) {
      await transmission.seeding(f.infoHash)
      await waitFor('the tracker listing Transmission', () => tracker.seeders(f.infoHash) >= 1)
    }
    shoal = await startGatewayServe(dir, ['--gateway-max-disk-mib', '4'])
    base = shoal.found
  })

  after(async () => {
    if (shoal) await shoal.stop()
    if (transmission) transmission.kill()
    if (tracker) await tracker.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** Adds `f`, streams it whole and checks the bytes. */
  async function streamWhole (f) {
    const added = await fetch(`${base}/api/torrents`, { method: 'POST', body: readFileSync(f.torrent) })
    assert.equal(added.status, 201, await added.text())
    const res = await fetch(`${base}/stream/${f.infoHash}/0`)
    const body = Buffer.from(await res.arrayBuffer())
    assert.equal(res.status, 200, String(body))
    assert.equal(sha1(body), sha1(f.bytes), 'byte-exact')
  }

  const statusOf = async f => fetch(`${base}/api/torrents/${f.infoHash}`)
  const folders = hash => readdirSync(path.join(dir, 'gateway')).filter(d => d.startsWith(hash))

  test('over the cap, the least recently streamed torrent is removed; the one just streamed stays', async () => {
    const { first, second } = files
    await streamWhole(first)
    // Under the cap: it stays.
    await new Promise(resolve => setTimeout(resolve, 4_000))
    assert.equal((await statusOf(first)).status, 200, 'one torrent fits')
    await streamWhole(second)
    await waitFor('the first torrent removed', async () => (await statusOf(first)).status === 404, 30_000)
    const kept = await (await statusOf(second)).json()
    assert.equal(kept.bytesOnDisk, second.bytes.length, 'the second torrent keeps its pieces')
    // Its task deletes its folder once it has left the swarm.
    await waitFor('the first torrent\'s folder deleted', () => folders(first.infoHash).length === 0, 30_000)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    assert.match(metrics, /^shoal_gateway_evicted_total 1$/m)
    // A player asking again adds it again.
    await streamWhole(first)
  })
})
