// Fixtures for the player's end-to-end tests: a small H.264 MP4 made with Debian's ffmpeg, its
// .torrent made with `shoal create`, and an HTTP server on loopback that serves the WebTorrent
// browser bundle, a seeder page, the video (with Range support, as a web seed) and the .torrent.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runShoal, runTool } from './shoal.mjs'
import { webTorrentBundle, webTorrentPageHtml, withTimeout } from './webtorrent.mjs'

export { withTimeout } from './webtorrent.mjs'

/**
 * Makes a `seconds`-long 320×240 H.264 MP4 (moov first, a key frame every second, so seeking
 * works from any second) in a fresh temporary folder. Returns {dir, file, name, bytes, cleanup}.
 * With `bitrate` (e.g. '3M') the picture is covered in changing noise that the encoder cannot
 * compress below it, so the file is about seconds × bitrate / 8 bytes: a large file to seek in.
 */
export function makeVideo (seconds = 12, { bitrate } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-player-'))
  const name = 'test-pattern.mp4'
  const file = path.join(dir, name)
  const source = `testsrc=size=320x240:rate=24:duration=${seconds}` + (bitrate ? ',noise=alls=80:allf=t+u' : '')
  const rate = bitrate
    ? ['-preset', 'ultrafast', '-b:v', bitrate, '-minrate', bitrate, '-maxrate', bitrate, '-bufsize', bitrate]
    : ['-b:v', '400k']
  const r = runTool('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', source,
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-profile:v', 'baseline', '-g', '24',
    ...rate, '-movflags', '+faststart', file
  ], { timeoutMs: 180_000, what: 'ffmpeg (making the test video; scripts/setup.sh installs it)' })
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`)
  return {
    dir,
    file,
    name,
    bytes: readFileSync(file),
    cleanup: () => rmSync(dir, { recursive: true, force: true })
  }
}

/** `shoal create` for the video; returns {torrentFile, magnet}. */
export function makeTorrent (video, { announce = [], webseeds = [], pieceLength = 16384 } = {}) {
  const torrentFile = path.join(video.dir, `${video.name}.torrent`)
  const args = ['create', video.file, '--piece-length', String(pieceLength), '-o', torrentFile]
  for (const a of announce) args.push('--announce', a)
  for (const w of webseeds) args.push('--webseed', w)
  const r = runShoal(args)
  if (r.status !== 0) throw new Error(`shoal create failed: ${r.stderr}`)
  return { torrentFile, magnet: r.stdout.trim().split('\n').pop() }
}

/**
 * An HTTP server on 127.0.0.1: `/` the seeder page, `/webtorrent.min.js`, and `files` by path
 * (`{'/v.mp4': '/tmp/…/v.mp4'}`) with single-range support and CORS, so the player's origin
 * can use them as web seeds or .torrent URLs. Counts the bytes it sent per path.
 */
export async function startFixtureServer (files = {}) {
  const sent = {}
  const server = http.createServer((req, res) => {
    const cors = {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'Range',
      'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges'
    }
    const url = new URL(req.url, 'http://x')
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end()
    if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(webTorrentPageHtml('WebTorrent seeder'))
    if (url.pathname === '/webtorrent.min.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(webTorrentBundle())
    const local = files[url.pathname]
    if (!local) return res.writeHead(404, cors).end()
    const body = readFileSync(local)
    const length = statSync(local).size
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '')
    let start = 0
    let end = length - 1
    let status = 200
    const headers = { ...cors, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' }
    if (m) {
      start = Number(m[1])
      end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1)
      if (start > end) return res.writeHead(416, { ...headers, 'Content-Range': `bytes */${length}` }).end()
      status = 206
      headers['Content-Range'] = `bytes ${start}-${end}/${length}`
    }
    headers['Content-Length'] = String(end - start + 1)
    sent[url.pathname] = (sent[url.pathname] ?? 0) + (end - start + 1)
    res.writeHead(status, headers).end(body.subarray(start, end + 1))
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    sent,
    /** Serves one more file (e.g. a .torrent that names this server as its web seed). */
    addFile: (urlPath, local) => { files[urlPath] = local },
    stop: () => new Promise(resolve => { server.closeAllConnections?.(); server.close(resolve) })
  }
}

/** Waits until the page's video plays past `seconds` (the playhead only moves while frames decode). */
export async function playsPast (page, seconds, what) {
  await withTimeout(page.waitForFunction(s => {
    const v = document.querySelector('video')
    return v && v.currentTime > s && !v.paused
  }, seconds, { timeout: 0, polling: 200 }), 90_000, what)
}

/**
 * Opens `pathAndQuery` of the app at `appUrl` in a new page of `browser`, with loopback-only
 * settings (no public trackers, no STUN) and an empty download store, so what plays comes from
 * the network the test set up. Returns {page, errors} (uncaught page errors).
 */
export async function openShoalPage (browser, appUrl, pathAndQuery) {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(appUrl)
  await page.evaluate(s => localStorage.setItem('shoal.settings', s), JSON.stringify({ trackers: [], ice_servers: [] }))
  await page.waitForFunction(() => typeof window.shoal?.storeClear === 'function')
  await page.evaluate(() => window.shoal.storeClear())
  await page.goto(appUrl.replace(/\/$/, '') + pathAndQuery)
  return { page, errors }
}
