// The gateway finds its peers through the mainline DHT alone (issue 15, test 1's DHT variant),
// on loopback with real software: `shoal dht-node` runs a small network of the `mainline`
// crate's nodes and announces Transmission's TCP port for the info hash (Transmission's own
// DHT refuses loopback nodes, so a node announces for it, as Transmission would); Debian's
// transmission-daemon seeds the file with no tracker at all; `shoal serve` bootstraps from that
// network, gets a trackerless magnet's metadata (BEP 9) and bytes from Transmission over TCP,
// and curl's Range answers are exact.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runTool, spawnShoal } from '../support/shoal.mjs'
import { makeTorrent, startTransmission } from '../support/bt-swarm.mjs'

describe('gateway over the DHT alone', () => {
  let dir, transmission, dht, shoal, base
  let shoalLog = ''

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shoal-gateway-dht-'))
    for (const d of ['seed', 'tr', 'dist', 'library', 'gateway', 'cache']) mkdirSync(path.join(dir, d))
    writeFileSync(path.join(dir, 'dist', 'index.html'), '<p>app</p>')
    transmission = await startTransmission(path.join(dir, 'tr'), path.join(dir, 'seed'))
  })

  after(async () => {
    if (shoal) await shoal.stop()
    if (shoal && process.env.SHOAL_TEST_LOG) writeFileSync(process.env.SHOAL_TEST_LOG, shoalLog + shoal.stderr())
    if (dht) await dht.stop()
    if (transmission) transmission.kill()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('a trackerless magnet: peers from the DHT, metadata and exact ranges from Transmission', async () => {
    const file = path.join(dir, 'seed', 'dht.mp4')
    const bytes = randomBytes(2 * 1024 * 1024 + 4321)
    writeFileSync(file, bytes)
    const f = makeTorrent(file, null, path.join(dir, 'dht.torrent'))
    transmission.remote('-a', f.torrent, '-w', path.join(dir, 'seed'))
    await transmission.seeding(f.infoHash)

    dht = await spawnShoal(['dht-node', '--nodes', '8', '--bind', '127.0.0.1', '--announce', `${f.infoHash}:${transmission.peerPort}`], {
      ready: /DHT nodes: (.+)\n/, what: 'shoal dht-node', timeoutMs: 30_000, log: 'info'
    })
    const nodes = dht.found.trim().split(' ')
    assert.ok(nodes.length === 8, dht.found)

    shoal = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', path.join(dir, 'dist'),
      '--library', path.join(dir, 'library'), '--cache-dir', path.join(dir, 'cache'), '--no-webrtc',
      '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(dir, 'gateway'),
      '--gateway-wait-secs', '60', '--dht-listen', '127.0.0.1:0',
      ...nodes.slice(0, 2).flatMap(n => ['--dht-bootstrap', n])], {
      ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', timeoutMs: 60_000, log: 'info'
    })
    base = shoal.found
    shoal.child.stdout.on('data', d => { shoalLog += d })

    const added = await fetch(`${base}/api/torrents`, { method: 'POST', body: `magnet:?xt=urn:btih:${f.infoHash}` })
    assert.equal(added.status, 201, await added.text())

    const curl = runTool('curl', ['-s', '-w', '\\n%{http_code}', '-r', '1000000-1999999', `${base}/stream/${f.infoHash}/0`], { encoding: 'buffer', timeoutMs: 120_000 })
    const out = Buffer.from(curl.stdout)
    const code = out.subarray(out.lastIndexOf(10) + 1).toString()
    assert.equal(code, '206', out.toString().slice(0, 300))
    assert.ok(out.subarray(0, out.lastIndexOf(10)).equals(bytes.subarray(1000000, 2000000)), 'curl -r: the range is byte-exact')

    const whole = await fetch(`${base}/stream/${f.infoHash}/0`)
    assert.equal(whole.status, 200)
    assert.ok(Buffer.from(await whole.arrayBuffer()).equals(bytes), 'the whole file is byte-exact')

    // The same bytes as a BEP 19 web seed (what the app adds), and the info dict it checks.
    const seeded = await fetch(`${base}/gateway/webseed/${f.infoHash}`, { headers: { Range: 'bytes=5-1000004' } })
    assert.equal(seeded.status, 206)
    assert.ok(Buffer.from(await seeded.arrayBuffer()).equals(bytes.subarray(5, 1000005)))
    const byName = await fetch(`${base}/gateway/webseed/${f.infoHash}/dht.mp4`, { headers: { Range: 'bytes=0-9' } })
    assert.ok(Buffer.from(await byName.arrayBuffer()).equals(bytes.subarray(0, 10)))
    const info = Buffer.from(await (await fetch(`${base}/api/torrents/${f.infoHash}/metadata`)).arrayBuffer())
    assert.equal(createHash('sha1').update(info).digest('hex'), f.infoHash, 'the info dict hashes to the info hash')

    const status = await (await fetch(`${base}/api/torrents/${f.infoHash}`)).json()
    assert.equal(status.trackers.length, 0, 'no tracker was used')
    assert.equal(status.name, 'dht.mp4')
    assert.ok(status.knownAddresses >= 1, JSON.stringify(status))
    assert.equal(status.downloaded, bytes.length, 'every byte came from the peer the DHT named')
  })
})
