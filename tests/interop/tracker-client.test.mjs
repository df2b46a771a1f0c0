// bittorrent-tracker's client (npm, the library WebTorrent uses) against `shoal tracker`:
// announce and scrape responses, and a `failure reason` for each kind of malformed message
// while the tracker keeps serving everyone.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import Client from 'bittorrent-tracker'
import WebSocket from 'ws'
import { startTracker } from '../support/tracker.mjs'

let tracker
before(async () => { tracker = await startTracker() })
after(async () => {
  await tracker?.stop()
  // bittorrent-tracker's client can leave a reconnect timer behind after destroy(); it must not
  // keep this test file alive once every test has reported (unref'd: fires only if needed).
  setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref()
})

const hash = b => Buffer.alloc(20, b)
const bin = b => hash(b).toString('binary')

/** Announces once with bittorrent-tracker's client; resolves with the first `update`. */
function announceOnce (infoHash, peerId, left) {
  const client = new Client({
    infoHash, peerId, announce: [tracker.url], port: 6881, getAnnounceOpts: () => ({ left })
  })
  const done = new Promise((resolve, reject) => {
    client.once('update', resolve)
    client.once('warning', reject)
    client.once('error', reject)
  })
  client.start()
  return { client, done }
}

test('announce responses carry interval, complete and incomplete; scrape one and many', async () => {
  const seeder = announceOnce(hash(1), hash(0xa1), 0)
  const first = await seeder.done
  assert.equal(first.interval, 120)
  assert.equal(first.complete, 1)
  assert.equal(first.incomplete, 0)
  const leecher = announceOnce(hash(1), hash(0xa2), 1000)
  const second = await leecher.done
  assert.equal(second.complete, 1)
  assert.equal(second.incomplete, 1)
  try {
    const one = await new Promise((resolve, reject) => {
      Client.scrape({ announce: tracker.url, infoHash: hash(1).toString('hex') }, (err, data) => err ? reject(err) : resolve(data))
    })
    assert.equal(one.complete, 1)
    assert.equal(one.incomplete, 1)
    const many = await new Promise((resolve, reject) => {
      Client.scrape({ announce: tracker.url, infoHash: [hash(1).toString('hex'), hash(2).toString('hex')] },
        (err, data) => err ? reject(err) : resolve(data))
    })
    assert.equal(many[hash(1).toString('hex')].complete, 1)
    assert.equal(many[hash(2).toString('hex')].complete, 0)
  } finally {
    seeder.client.destroy()
    leecher.client.destroy()
  }
})

/** Opens a raw socket; `next()` resolves with the next parsed message. */
async function rawSocket () {
  const ws = new WebSocket(tracker.url)
  const queue = []
  const waiters = []
  ws.on('message', data => {
    const msg = JSON.parse(data.toString())
    const w = waiters.shift()
    if (w) w(msg); else queue.push(msg)
  })
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  const next = () => queue.length ? Promise.resolve(queue.shift()) : new Promise(resolve => waiters.push(resolve))
  return { ws, next }
}

test('each malformed message gets its failure reason and the tracker keeps serving', async () => {
  const { ws, next } = await rawSocket()
  try {
    const cases = [
      ['{not json', /^invalid JSON message/],
      [JSON.stringify({ action: 'announce', info_hash: 'short', peer_id: bin(3) }), /^info_hash must be 20 bytes/],
      [JSON.stringify({ action: 'announce', info_hash: bin(3), peer_id: 'x'.repeat(19) + '\u0100' }), /U\+0100/],
      [JSON.stringify({ action: 'fly', info_hash: bin(3) }), /^unknown action/],
      [JSON.stringify({ action: 'announce', info_hash: bin(3), peer_id: bin(4), to_peer_id: bin(5), offer_id: bin(6), answer: { type: 'answer', sdp: 'x' } }), /^no such offer/],
      [JSON.stringify({ action: 'announce', info_hash: bin(3), peer_id: bin(4), pad: 'x'.repeat(70000) }), /^message is \d+ bytes/]
    ]
    for (const [text, reason] of cases) {
      ws.send(text)
      const reply = await next()
      assert.match(reply['failure reason'], reason, text.slice(0, 60))
    }
    // Same socket, valid announce: still served.
    ws.send(JSON.stringify({ action: 'announce', info_hash: bin(3), peer_id: bin(4), left: 0, event: 'started', numwant: 0, uploaded: 0, downloaded: 0 }))
    const ok = await next()
    assert.equal(ok.interval, 120)
    assert.equal(ok.complete, 1)
  } finally {
    ws.close()
  }
  // Another client is served too, and /stats counted the failures by kind.
  const other = announceOnce(hash(7), hash(0xb1), 0)
  try {
    assert.equal((await other.done).complete, 1)
  } finally {
    other.client.destroy()
  }
  const stats = await (await fetch(`${tracker.http}/stats`)).json()
  for (const kind of ['malformed_json', 'id_length', 'id_code_point', 'unknown_action', 'unknown_offer', 'too_large']) {
    assert.equal(stats.errors[kind], 1, kind)
  }
  const metrics = await (await fetch(`${tracker.http}/metrics`)).text()
  assert.match(metrics, /^shoal_tracker_errors_total\{kind="unknown_action"\} 1$/m)
})

test('SIGTERM shuts the tracker down cleanly', async () => {
  const own = await startTracker()
  const code = await own.stop()
  assert.equal(code, 0, own.stderr())
})
