// Third-party Stremio add-ons for the add-on tests, served on loopback: a good one built with
// the official stremio-addon-sdk (movies, a series, torrent/HTTP/HLS streams, a small MP4), and a
// broken one whose catalog answers 500 and whose streams are not JSON.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import sdk from 'stremio-addon-sdk'
import { runTool } from './shoal.mjs'

export const TORRENT_HASH = 'd2474e86c95b19b8bcfdb92bc12c9d44667cfa36'
const GENRES = ['Action', 'Drama']

/** A 2-second 320x240 H.264 MP4 made with ffmpeg (the caller removes `dir`). */
export function makeClip () {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-addon-clip-'))
  const file = path.join(dir, 'clip.mp4')
  const r = runTool('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=25',
    '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-movflags', '+faststart', '-y', file], { what: 'ffmpeg (the add-on clip)' })
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`)
  // The same clip as an HLS playlist with 1-second MPEG-TS segments.
  const h = runTool('ffmpeg', ['-loglevel', 'error', '-i', file, '-c', 'copy', '-f', 'hls', '-hls_time', '1',
    '-hls_playlist_type', 'vod', '-hls_segment_filename', path.join(dir, 'seg%d.ts'), path.join(dir, 'live.m3u8')], { what: 'ffmpeg (the HLS playlist)' })
  if (h.status !== 0) throw new Error(`ffmpeg (HLS) failed: ${h.stderr}`)
  return { dir, file }
}

function listen (server) {
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(server.address().port)))
}

function close (server) {
  return new Promise(resolve => { server.closeAllConnections?.(); server.close(() => resolve()) })
}

function posterSvg (title, hue) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="300"><rect width="200" height="300" fill="hsl(${hue},45%,30%)"/>` +
    `<text x="100" y="160" font-family="sans-serif" font-size="20" fill="#fff" text-anchor="middle">${title}</text></svg>`
}

/** Movie `i` of the test catalog: 103 movies, every third one a drama. */
function movie (base, i) {
  const id = `tt${String(1000 + i).padStart(7, '0')}`
  return {
    id, type: 'movie', name: i === 0 ? 'Test Movie One' : `Movie ${i + 1}`,
    poster: `${base}/poster/${id}.svg`, releaseInfo: String(1990 + (i % 30)),
    genres: [i % 3 === 0 ? 'Drama' : 'Action']
  }
}

/** Starts the good add-on; resolves to { url (manifest URL), base, stop() }. */
export async function startGoodAddon (clipFile) {
  const manifest = {
    id: 'org.shoal.test.good', version: '1.0.0', name: 'Shoal Test Add-on',
    description: 'Movies and a series for Shoal’s tests.',
    resources: ['catalog', 'meta', 'stream'], types: ['movie', 'series'], idPrefixes: ['tt'],
    catalogs: [
      { type: 'movie', id: 'top', name: 'Top Movies', extra: [{ name: 'genre', options: GENRES }, { name: 'skip' }, { name: 'search' }] },
      { type: 'series', id: 'shows', name: 'Shows' }
    ]
  }
  let base = ''
  const movies = () => Array.from({ length: 103 }, (_, i) => movie(base, i))
  const series = () => ({
    id: 'tt9000001', type: 'series', name: 'Test Series', poster: `${base}/poster/tt9000001.svg`, releaseInfo: '2020-2021',
    description: 'Two seasons of test patterns.',
    videos: [
      { id: 'tt9000001:1:1', title: 'Pilot', season: 1, episode: 1 },
      { id: 'tt9000001:1:2', title: 'The Second One', season: 1, episode: 2 },
      { id: 'tt9000001:2:1', title: 'Return', season: 2, episode: 1 }
    ]
  })
  const builder = new sdk.addonBuilder(manifest) // eslint-disable-line new-cap
  builder.defineCatalogHandler(async ({ type, id, extra }) => {
    if (type === 'series') return { metas: [series()] }
    let list = movies()
    if (extra.genre) list = list.filter(m => m.genres.includes(extra.genre))
    if (extra.search) list = list.filter(m => m.name.toLowerCase().includes(extra.search.toLowerCase()))
    const skip = Number(extra.skip ?? 0)
    return { metas: list.slice(skip, skip + 100) }
  })
  builder.defineMetaHandler(async ({ type, id }) => {
    if (type === 'series' && id === 'tt9000001') return { meta: series() }
    const found = movies().find(m => m.id === id)
    return { meta: found ? { ...found, description: 'A movie made of test patterns.', cast: ['Ada', 'Brian'] } : null }
  })
  builder.defineStreamHandler(async ({ type, id }) => {
    if (type === 'series') {
      return { streams: [{ url: `${base}/media/clip.mp4`, name: 'Episode file', description: `${id} 480p` }] }
    }
    return {
      streams: [
        {
          infoHash: TORRENT_HASH, fileIdx: 0, name: 'Shoal Test\n1080p', title: 'Test.Movie.1080p.x264\n💾 1.4 GB',
          sources: ['tracker:wss://tracker.example/announce', `dht:${TORRENT_HASH}`],
          behaviorHints: { notWebReady: true, bingeGroup: 'test-1080p' }
        },
        { url: `${base}/media/clip.mp4`, name: 'Direct\n720p', description: 'Plain MP4 over HTTP' },
        { url: `${base}/media/live.m3u8`, name: 'Live', description: 'HLS playlist' },
        { externalUrl: 'https://example.com/watch', name: 'Website' }
      ]
    }
  })
  const router = sdk.getRouter(builder.getInterface())
  const clip = readFileSync(clipFile)
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
    if (req.url.startsWith('/poster/')) {
      const id = req.url.slice(8, -4)
      res.setHeader('Content-Type', 'image/svg+xml')
      return res.end(posterSvg(id === 'tt9000001' ? 'Test Series' : id, (Number(id.slice(2)) * 47) % 360))
    }
    const hlsFile = req.url.match(/^\/media\/(live\.m3u8|seg\d+\.ts)$/)
    if (hlsFile) {
      res.setHeader('Content-Type', hlsFile[1].endsWith('.ts') ? 'video/mp2t' : 'application/vnd.apple.mpegurl')
      return res.end(readFileSync(path.join(path.dirname(clipFile), hlsFile[1])))
    }
    if (req.url === '/media/clip.mp4') {
      res.setHeader('Content-Type', 'video/mp4')
      res.setHeader('Content-Length', clip.length)
      return res.end(clip)
    }
    router(req, res, () => { res.statusCode = 404; res.end() })
  })
  const port = await listen(server)
  base = `http://127.0.0.1:${port}`
  return { url: `${base}/manifest.json`, base, stop: () => close(server) }
}

/** Starts the broken add-on: a valid manifest, a catalog that answers 500, streams that are not JSON. */
export async function startBrokenAddon () {
  const manifest = {
    id: 'org.shoal.test.broken', version: '0.0.1', name: 'Broken Add-on', description: 'Answers badly on purpose.',
    resources: ['catalog', 'stream'], types: ['movie'], idPrefixes: ['tt'],
    catalogs: [{ type: 'movie', id: 'bad', name: 'Bad Catalog' }]
  }
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
    if (req.url === '/manifest.json') {
      res.setHeader('Content-Type', 'application/json')
      return res.end(JSON.stringify(manifest))
    }
    if (req.url.startsWith('/catalog/')) { res.statusCode = 500; return res.end('Internal Server Error') }
    if (req.url.startsWith('/stream/')) { res.setHeader('Content-Type', 'application/json'); return res.end('{"streams": [ {"url": ') }
    res.statusCode = 404
    res.end()
  })
  const port = await listen(server)
  return { url: `http://127.0.0.1:${port}/manifest.json`, stop: () => close(server) }
}

export function removeDir (dir) {
  rmSync(dir, { recursive: true, force: true })
}
