// A BitTorrent peer over TCP that claims every piece and then misbehaves, for the gateway's
// hostile-peer test. `mode`: 'wrong' answers every request with bytes that fail the piece hash;
// 'oversized' answers the first request with a length prefix far beyond any message limit;
// 'slow-handshake' (a slow-loris) sends its handshake one byte a second, never finishing it in
// time; 'slow-blocks' (another) handshakes, unchokes, then sends each asked block one byte every
// half second. It records what happened so the test can check the gateway dropped it.
import net from 'node:net'
import { randomBytes } from 'node:crypto'

/** Starts the peer on 127.0.0.1; resolves with {port, peerId, seen, close()}. */
export async function startHostilePeer ({ infoHash, pieces, mode }) {
  const peerId = Buffer.from('-HP0001-' + randomBytes(6).toString('hex'))
  const seen = { connections: 0, requests: 0, wrongPieces: 0, oversized: 0, trickled: 0, closedByRemote: 0 }
  const timers = new Set()
  /** Writes `bytes` to `socket` one byte every `ms`, while the socket lasts. */
  const trickle = (socket, bytes, ms) => {
    let at = 0
    const t = setInterval(() => {
      if (at >= bytes.length || socket.destroyed) { clearInterval(t); timers.delete(t); return }
      socket.write(bytes.subarray(at, at + 1))
      at++
      seen.trickled++
    }, ms)
    timers.add(t)
  }
  const sockets = new Set()
  const server = net.createServer(socket => {
    seen.connections++
    sockets.add(socket)
    let buf = Buffer.alloc(0)
    let shaken = false
    let ended = false
    socket.on('error', () => {})
    socket.on('close', () => { sockets.delete(socket); if (!ended) seen.closedByRemote++ })
    socket.on('data', data => {
      buf = Buffer.concat([buf, data])
      if (!shaken) {
        if (buf.length < 68) return
        shaken = true
        buf = buf.subarray(68)
        const bitfield = Buffer.alloc(Math.ceil(pieces / 8))
        for (let i = 0; i < pieces; i++) bitfield[i >> 3] |= 0x80 >> (i & 7)
        const hs = Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.alloc(8), Buffer.from(infoHash, 'hex'), peerId])
        const hello = Buffer.concat([hs, frame(5, bitfield), frame(1, Buffer.alloc(0))])
        if (mode === 'slow-handshake') { trickle(socket, hello, 1000); return }
        socket.write(hello)
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0)
        if (buf.length < 4 + len) return
        const msg = buf.subarray(4, 4 + len)
        buf = buf.subarray(4 + len)
        if (len > 0 && msg[0] === 6) onRequest(socket, msg.readUInt32BE(1), msg.readUInt32BE(5), msg.readUInt32BE(9))
      }
    })
  })
  function onRequest (socket, index, begin, length) {
    seen.requests++
    if (mode === 'oversized') {
      seen.oversized++
      const header = Buffer.alloc(5)
      header.writeUInt32BE(0x7fffffff, 0)
      header[4] = 7
      socket.write(Buffer.concat([header, randomBytes(1024)]))
      return
    }
    const head = Buffer.alloc(8)
    head.writeUInt32BE(index, 0)
    head.writeUInt32BE(begin, 4)
    const block = frame(7, Buffer.concat([head, randomBytes(length)]))
    // One block trickles at a time (the others wait their turn, as in a real slow link).
    if (mode === 'slow-blocks') { if (seen.requests === 1) trickle(socket, block, 500); return }
    seen.wrongPieces++
    socket.write(block)
  }
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    peerId,
    seen,
    close: () => new Promise(resolve => {
      for (const t of timers) clearInterval(t)
      for (const s of sockets) { s.destroy() }
      server.close(() => resolve())
    })
  }
}

function frame (id, payload) {
  const b = Buffer.alloc(5)
  b.writeUInt32BE(payload.length + 1, 0)
  b[4] = id
  return Buffer.concat([b, payload])
}
