// A Chromium page as the far end of one WebRTC data channel, for the native host's test
// (crates/rtc/tests/chromium.rs). Talks JSON lines over stdio:
//   prints  {"offer": SDP}            the page's complete (non-trickle) offer, iceServers: []
//   reads   {"answer": SDP}           the native host's answer
//   then, once the channel is open, the page sends OWN_BYTES of pattern k=5 (in 16 KiB messages)
//   and echoes every byte it receives; when it has received EXPECT bytes (argv[2]) it prints
//           {"received": N}           then waits for the host's {"done": true} (every echoed byte
//                                     arrived; at most 10 s) and closes the browser.
// Exits non-zero with a message on any failure, and after 60 s whatever happens.
import http from 'node:http'
import readline from 'node:readline'
import { launchWebRtcBrowser } from './tracker.mjs'

const expect = Number(process.argv[2])
const OWN_BYTES = 256 * 1024
const say = obj => process.stdout.write(JSON.stringify(obj) + '\n')

const deadline = setTimeout(() => { console.error('rtc-peer: gave up after 60 s'); process.exit(3) }, 60_000)
const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>rtc peer</title>'))
await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`
const browser = await launchWebRtcBrowser()
let code = 0
try {
  await browser.grant(origin)
  const page = await browser.context.newPage()
  page.on('pageerror', e => console.error('rtc-peer page error:', e))
  await page.goto(origin + '/')
  const offer = await page.evaluate(async () => {
    const pc = new RTCPeerConnection({ iceServers: [] })
    const dc = pc.createDataChannel('shoal')
    dc.binaryType = 'arraybuffer'
    window.pc = pc
    window.dc = dc
    await pc.setLocalDescription(await pc.createOffer())
    await new Promise(resolve => {
      if (pc.iceGatheringState === 'complete') return resolve()
      pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve() })
    })
    return pc.localDescription.sdp
  })
  say({ offer })
  const input = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()
  const { answer } = JSON.parse((await input.next()).value)
  const received = await page.evaluate(async ({ answer, expect, own }) => {
    const { pc, dc } = window
    const done = new Promise((resolve, reject) => {
      let got = 0
      dc.onmessage = e => {
        got += e.data.byteLength
        dc.send(e.data)
        if (got >= expect) resolve(got)
      }
      dc.onclose = () => reject(new Error(`the channel closed after ${got} bytes`))
    })
    dc.onopen = () => {
      const bytes = new Uint8Array(own)
      for (let i = 0; i < own; i++) bytes[i] = (i * 5 + (i >> 9)) & 255
      for (let at = 0; at < own; at += 16384) dc.send(bytes.subarray(at, at + 16384))
    }
    await pc.setRemoteDescription({ type: 'answer', sdp: answer })
    return done
  }, { answer, expect, own: OWN_BYTES })
  say({ received })
  // Let the echoed tail drain and arrive before the browser goes: an empty send buffer is not
  // enough (the last bytes may still be in SCTP's flight), so wait for the host's word.
  await page.waitForFunction(() => window.dc.bufferedAmount === 0, null, { timeout: 10_000 })
  let timer
  await Promise.race([input.next(), new Promise(resolve => { timer = setTimeout(resolve, 10_000) })])
  clearTimeout(timer)
} catch (err) {
  console.error('rtc-peer:', err)
  code = 1
} finally {
  await browser.close()
  server.close()
  clearTimeout(deadline)
}
process.exit(code)
