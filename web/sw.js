// Shoal's Service Worker. Two jobs:
//
// 1. The app shell, offline. At build time `scripts/precache.mjs` (a Trunk post_build hook)
//    writes the first line of the deployed copy: `self.SHOAL_PRECACHE = {version, files}`, the
//    build's hashed file names and a version derived from their contents. The worker caches
//    them under `shoal-shell-<version>`, serves them cache-first, and answers navigations to
//    app routes with the cached page of the module that shows them (`player.html` or
//    `index.html`), so the app opens offline. A new deployment is a
//    new sw.js (new version): it installs its cache beside the old one and *waits*; the page
//    offers "a new version is ready — reload", sends {shoal: 'activate'}, and reloads when the
//    new worker takes control. So a page never mixes two builds. Old shell caches are deleted
//    on activation. Without the generated line (an unbuilt checkout) there is no shell cache.
//
// 2. Streams: turns `GET <scope>stream/<infohash>/<file index>` into an HTTP response whose
//    bytes come from the page that holds the torrent, so a plain `<video src="/stream/…">` can
//    play a torrent while it downloads, and seek in it.
//
// The stream part is deliberately thin: it knows HTTP ranges and nothing about BitTorrent.
// For each request it opens a MessageChannel to the page (the client that made the request, else any window of
// this origin), asks for the file's length and media type, answers 200/206/416, and then pulls
// one verified chunk per `pull` of the response's ReadableStream. When the stream is cancelled
// (the video element seeks or goes away) it tells the page, which closes its reader.
//
// Messages, page ⇄ worker, on the request's own port:
//   worker → page (first, on the client):  {shoal: 'open', infoHash, file}  + [port]
//   page → worker:  {kind: 'meta', length, type}  |  {kind: 'error', status, message}
//   worker → page:  {kind: 'read', start, end}  (end exclusive)  |  {kind: 'cancel'}
//   worker → page:  {kind: 'pull'}  →  page → worker:  {kind: 'chunk', data: ArrayBuffer}
//                                                     |  {kind: 'done'}  |  {kind: 'error', …}

const STREAM = /^stream\/([0-9a-fA-F]{40})\/(\d{1,6})$/

// How long the page may take to say whether it has the torrent and how big the file is. A
// magnet's file list comes from peers, so this is generous; the page answers sooner with an
// error when it knows the torrent is not there.
const META_TIMEOUT_MS = 120000

const BUILD = self.SHOAL_PRECACHE || { version: null, files: [] }
const SHELL_PREFIX = 'shoal-shell-'
const SHELL = BUILD.version ? SHELL_PREFIX + BUILD.version : null
// The pages the player module shows (`player.html`), as crates/companion-api/src/app_module.rs
// decides for the companion: `/`, `/play`, `/watch`, `/embed`, `/live/NAME`. Every other page is
// the whole app's `index.html` (tests/e2e/bundle-routes.test.mjs checks the two agree).
const PLAYER_PAGES = /^\/(play|watch|embed|live\/[^/]+)?\/?$/
const PLAYER_HTML = '/player.html'
// Paths the companion answers itself without a file extension: never the app's index.html.
const SERVER_PATHS = /^\/(api|health|metrics)(\/|$)/

self.addEventListener('install', event => event.waitUntil((async () => {
  if (SHELL) {
    const cache = await caches.open(SHELL)
    // `reload`: straight from the server, so a stale HTTP cache cannot mix two builds. One file
    // that fails to arrive must not leave the player without its worker (an `addAll` rejection
    // would make this worker redundant and the page would wait for it forever): it is said, and
    // cached when it is next fetched (`fromShell`).
    const results = await Promise.allSettled(
      BUILD.files.map(f => cache.add(new Request(f, { cache: 'reload' }))))
    const missed = BUILD.files.filter((f, i) => results[i].status === 'rejected')
    if (missed.length) console.warn(`Shoal: ${missed.length} app file(s) not cached for offline use yet: ${missed.join(', ')}`)
  }
  // The first worker takes over at once (the player needs one to stream); a worker that
  // replaces another waits until the page says the viewer chose to reload.
  if (!self.registration.active) await self.skipWaiting()
})()))

self.addEventListener('activate', event => event.waitUntil((async () => {
  for (const name of await caches.keys()) {
    if (name.startsWith(SHELL_PREFIX) && name !== SHELL) await caches.delete(name)
  }
  await self.clients.claim()
})()))

self.addEventListener('fetch', event => {
  const request = event.request
  if (request.method !== 'GET' && request.method !== 'HEAD') return
  const url = new URL(request.url)
  const scope = new URL(self.registration.scope)
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return
  const match = STREAM.exec(url.pathname.slice(scope.pathname.length))
  if (match) {
    event.respondWith(answer(event, match[1].toLowerCase(), Number(match[2])))
    return
  }
  if (!SHELL || request.method !== 'GET') return
  const path = url.pathname
  if (request.mode === 'navigate' && !/\.[^/]*$/.test(path) && !SERVER_PATHS.test(path)) {
    const page = PLAYER_PAGES.test(path) && BUILD.files.includes(PLAYER_HTML) ? PLAYER_HTML : '/index.html'
    event.respondWith(fromShell(page, request))
  } else if (BUILD.files.includes(path)) {
    event.respondWith(fromShell(path, request))
  }
})

/**
 * The shell's copy of `path`, else the network (a file the install could not cache, or a cache
 * the browser evicted), kept for next time.
 */
async function fromShell (path, request) {
  const cache = await caches.open(SHELL)
  const hit = await cache.match(path)
  if (hit) return hit
  const response = await fetch(request)
  if (response.ok && !response.redirected) cache.put(path, response.clone()).catch(() => {})
  return response
}

// The page's answer to "a new version is ready — reload"; and a page this worker missed when it
// claimed its clients (it was still loading then) asking to be claimed.
self.addEventListener('message', event => {
  if (event.data && event.data.shoal === 'activate') self.skipWaiting()
  // Only the active worker may claim (a waiting one is refused): nothing to do then.
  if (event.data && event.data.shoal === 'claim') event.waitUntil(self.clients.claim().catch(() => {}))
})

/** Plain-text error response that says what went wrong. */
function failure (status, message) {
  return new Response(message + '\n', { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/**
 * Parses a single `bytes=` range against a file of `length` bytes.
 * Returns {start, end} (end exclusive), null when there is no usable Range header (whole file),
 * or 'unsatisfiable'.
 */
function parseRange (header, length) {
  if (!header) return null
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  // Multiple ranges or another unit: RFC 9110 lets a server ignore the header and send it all.
  if (!m || (m[1] === '' && m[2] === '')) return null
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0 || length === 0) return 'unsatisfiable'
    return { start: Math.max(0, length - suffix), end: length }
  }
  const start = Number(m[1])
  if (start >= length) return 'unsatisfiable'
  const last = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1)
  if (last < start) return 'unsatisfiable'
  return { start, end: last + 1 }
}

/** The window that owns the torrent: the requesting document, else any window of ours. */
async function owners (clientId) {
  const list = []
  if (clientId) {
    const own = await self.clients.get(clientId)
    if (own) list.push(own)
  }
  for (const c of await self.clients.matchAll({ type: 'window' })) {
    if (!list.includes(c)) list.push(c)
  }
  return list
}

/** Waits for the next message on a port, or rejects after `ms`. */
function nextMessage (port, ms) {
  return new Promise((resolve, reject) => {
    const timer = ms ? setTimeout(() => reject(new Error('timeout')), ms) : null
    port.onmessage = event => { if (timer) clearTimeout(timer); resolve(event.data) }
  })
}

/** Opens the torrent's file on one client: resolves {port, meta} or {error}. */
async function open (client, infoHash, file) {
  const channel = new MessageChannel()
  const reply = nextMessage(channel.port1, META_TIMEOUT_MS)
  client.postMessage({ shoal: 'open', infoHash, file }, [channel.port2])
  try {
    const meta = await reply
    if (meta && meta.kind === 'meta') return { port: channel.port1, meta }
    channel.port1.close()
    return { error: meta || { status: 502, message: 'The page sent no answer.' } }
  } catch (_) {
    channel.port1.close()
    return { error: { status: 504, message: 'The page holding this torrent did not answer in time.' } }
  }
}

async function answer (event, infoHash, file) {
  let opened = { error: { status: 404, message: 'No Shoal page has this torrent open. Open it on /play first.' } }
  for (const client of await owners(event.clientId || event.resultingClientId)) {
    const attempt = await open(client, infoHash, file)
    opened = attempt
    // 404 means "not mine": ask the next window. Any other answer is final.
    if (attempt.port || attempt.error.status !== 404) break
  }
  if (!opened.port) return failure(opened.error.status || 502, opened.error.message || 'The page could not open the file.')

  const { port, meta } = opened
  const length = meta.length
  const headers = {
    // The page knows the file's type (its one table of extensions); the worker keeps none.
    'Content-Type': meta.type || 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    // The bytes are verified torrent data and are already in the page: never cache them twice.
    'Cache-Control': 'no-store'
  }
  const range = parseRange(event.request.headers.get('Range'), length)
  if (range === 'unsatisfiable') {
    port.postMessage({ kind: 'cancel' })
    port.close()
    return new Response(null, { status: 416, headers: Object.assign({}, headers, { 'Content-Range': `bytes */${length}` }) })
  }
  const start = range ? range.start : 0
  const end = range ? range.end : length
  headers['Content-Length'] = String(end - start)
  if (range) headers['Content-Range'] = `bytes ${start}-${end - 1}/${length}`
  const status = range ? 206 : 200

  if (event.request.method === 'HEAD' || end === start) {
    port.postMessage({ kind: 'cancel' })
    port.close()
    return new Response(null, { status, headers })
  }

  port.postMessage({ kind: 'read', start, end })
  let finish
  // Keeps this worker alive while the body streams (a worker that only waits on a port can be
  // stopped by the browser when idle).
  event.waitUntil(new Promise(resolve => { finish = resolve }))
  const close = () => { port.onmessage = null; port.close(); finish() }
  const body = new ReadableStream({
    async pull (controller) {
      const reply = nextMessage(port, 0)
      port.postMessage({ kind: 'pull' })
      const msg = await reply
      if (msg.kind === 'chunk') {
        controller.enqueue(new Uint8Array(msg.data))
      } else if (msg.kind === 'done') {
        controller.close()
        close()
      } else {
        controller.error(new Error(msg.message || 'the torrent stopped'))
        close()
      }
    },
    cancel () {
      port.postMessage({ kind: 'cancel' })
      close()
    }
  }, { highWaterMark: 1 })
  return new Response(body, { status, headers })
}

// The page pings while it streams: each message event keeps an idle worker from being stopped
// between the chunks of a long response.
self.addEventListener('message', () => {})
