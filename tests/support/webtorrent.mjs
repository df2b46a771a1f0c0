// WebTorrent 3 (npm webtorrent's browser bundle) as the reference peer of the browser tests:
// one page that loads the bundle and offers `window.wt.seed` / `window.wt.download`, served
// from loopback, plus the deterministic file contents both sides agree on.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { root } from './shoal.mjs'

const BUNDLE = path.join(root, 'node_modules/webtorrent/dist/webtorrent.min.js')

// The same byte pattern as `patternBytes` below, computed inside the page.
const PAGE_SCRIPT = `
import WebTorrent from "/webtorrent.min.js"
window.WebTorrent = WebTorrent
// Loopback only: no STUN, host candidates.
const newClient = () => new WebTorrent({ tracker: { rtcConfig: { iceServers: [] } } })
const hex = buf => [...new Uint8Array(buf)].map(b => b.toString(16).padStart(2, '0')).join('')
window.wt = {
  patternBytes (size, k) {
    const bytes = new Uint8Array(size)
    for (let i = 0; i < size; i++) bytes[i] = (i * k + (i >> 9)) & 255
    return bytes
  },
  /** Seeds bytes as one file; resolves with the magnet URI. */
  seed (bytes, name, opts) {
    const client = newClient()
    window.client = client
    return new Promise((resolve, reject) => {
      client.on('error', e => reject(new Error(String(e))))
      client.seed(new File([bytes], name), opts, t => resolve(t.magnetURI))
    })
  },
  /** Downloads a magnet or .torrent URL to the end; reports what arrived and from where. */
  async download (source, opts) {
    const client = newClient()
    window.client = client
    const torrent = await new Promise((resolve, reject) => {
      client.on('error', e => reject(new Error(String(e))))
      client.add(source, opts, resolve)
    })
    if (!torrent.done) await new Promise(resolve => torrent.once('done', resolve))
    const buf = await torrent.files[0].arrayBuffer()
    const digest = hex(await crypto.subtle.digest('SHA-256', buf))
    const result = { name: torrent.files[0].name, length: buf.byteLength, digest, wires: torrent.wires.map(w => w.type), received: torrent.received }
    if (opts?.destroy) client.destroy()
    return result
  }
}
`

/** The WebTorrent page's HTML. */
export function webTorrentPageHtml (title = 'WebTorrent peer') {
  return `<!doctype html><meta charset="utf-8"><title>${title}</title><script type="module">${PAGE_SCRIPT}</script>`
}

/** The bundle's bytes (served at `/webtorrent.min.js`). */
export const webTorrentBundle = () => readFileSync(BUNDLE)

/** Writes a minimal "app" into `dir` (for `shoal serve --dist`): the WebTorrent page as index.html. */
export function writeWebTorrentApp (dir) {
  mkdirSync(dir, { recursive: true })
  copyFileSync(BUNDLE, path.join(dir, 'webtorrent.min.js'))
  writeFileSync(path.join(dir, 'index.html'), webTorrentPageHtml('companion test'))
}

/**
 * An HTTP server on 127.0.0.1 with the WebTorrent page at `/` and the bundle. `route(req, res)`
 * sees each request first and returns true when it answered. Resolves with {origin, close()}.
 */
export async function serveWebTorrentPage (route = () => false) {
  const page = webTorrentPageHtml()
  const server = http.createServer((req, res) => {
    if (route(req, res)) return
    const pathname = new URL(req.url, 'http://x').pathname
    if (pathname === '/webtorrent.min.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(webTorrentBundle())
    } else if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise(resolve => { server.closeAllConnections?.(); server.close(resolve) })
  }
}

/** Opens `url` (a WebTorrent page) in a new page of `browser`; page errors go into `errors`. */
export async function openWebTorrentPage (browser, url, errors) {
  const page = await browser.context.newPage()
  page.on('pageerror', e => errors.push(e))
  await page.goto(url)
  await page.waitForFunction(() => typeof window.wt === 'object')
  return page
}

/** `size` bytes of the pattern `(i * k + (i >> 9)) & 255` (the page's `wt.patternBytes`). */
export function patternBytes (size, k) {
  const bytes = Buffer.alloc(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * k + (i >> 9)) & 255
  return bytes
}

/** Rejects when `promise` takes longer than `ms` (so a hung step fails with its name). */
export function withTimeout (promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms) })
  ]).finally(() => clearTimeout(timer))
}
