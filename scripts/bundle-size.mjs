// Bundle sizes, brotli (quality 11, as a server would precompress) and raw, for docs/benchmarks.md:
// what each kind of Shoal page downloads from the built app, and the reference bundles that
// are installed in node_modules.
//   node scripts/bundle-size.mjs [DIST]
import { readFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants } from 'node:zlib'
import { filesUnder } from './files-under.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'))

const size = file => {
  const raw = readFileSync(file)
  const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
  return { raw: raw.length, br: br.length }
}
const kb = n => (n / 1024).toFixed(1)
// Without the `.br`/`.gz` copies scripts/precompress.mjs writes (the same files, compressed).
const files = filesUnder(dist).filter(f => !/\.(br|gz)$/.test(f))
const pick = re => files.filter(f => re.test(path.relative(dist, f)))
// A page loads its HTML, the module it names (the wasm, its JS glue and snippets) and the
// stylesheet; HLS playback adds hls.js (loaded on demand). The app is two modules
// (docs/reach.md, "Two modules"): `player.html` for the pages a viewer lands on to watch,
// `index.html` (the whole app) for the others. What a page names is read from the page itself.
const named = page => {
  const html = readFileSync(path.join(dist, page), 'utf8')
  const urls = [...html.matchAll(/(?:href=|from |module_or_path: )["']\/([^"']+)["']/g)].map(m => m[1])
  const onPath = /^(shoal-app-.*\.js|snippets\/.*|.*_bg\.wasm|style-.*\.css)$/
  return [page, ...new Set(urls.filter(u => onPath.test(u)))].map(u => path.join(dist, u))
}
const player = existsSync(path.join(dist, 'player.html')) ? named('player.html') : named('index.html')
const whole = named('index.html')
const rows = [
  ['the player path (home, /play, /watch and /embed of a torrent, a live channel): player.html', player],
  ['HLS playback (/watch of an .m3u8, /embed of an .m3u8, a live channel): the above + hls.js', [...player, ...pick(/^hls\.min\.js$/)]],
  ['the other pages (discover, search, add-ons, settings, downloads, the channel list): index.html, the whole app', whole],
  ['the host page of an embed: /embed.js', pick(/^embed\.js$/)],
  ['Service Worker (installed once, not on the page path)', pick(/^sw\.js$/)]
]
console.log('| what | files | raw KiB | brotli KiB |')
console.log('|---|---|---|---|')
for (const [what, list] of rows) {
  let raw = 0; let br = 0
  for (const f of list) { const s = size(f); raw += s.raw; br += s.br }
  console.log(`| ${what} | ${list.map(f => path.relative(dist, f).replace(/-[0-9a-f]{12,20}/, '-…')).join(', ')} | ${kb(raw)} | **${kb(br)}** |`)
}
for (const f of [...player, ...whole.filter(f => !player.includes(f))]) { const s = size(f); console.log(`|   ${path.relative(dist, f).replace(/-[0-9a-f]{12,20}/, '-…')} | | ${kb(s.raw)} | ${kb(s.br)} |`) }
const refs = [
  ['WebTorrent 3.0.21 browser bundle (npm webtorrent, dist/webtorrent.min.js)', ['node_modules/webtorrent/dist/webtorrent.min.js']],
  ['hls.js 1.7.4 (npm hls.js, dist/hls.min.js)', ['node_modules/hls.js/dist/hls.min.js']],
  ['p2p-media-loader 2.3.1 core + hlsjs (npm, dist/*.es.min.js)', ['node_modules/p2p-media-loader-core/dist/p2p-media-loader-core.es.min.js', 'node_modules/p2p-media-loader-hlsjs/dist/p2p-media-loader-hlsjs.es.min.js']],
  // Stremio Web's React UI is not published; its Rust core (wasm and glue) is, so this row is
  // a lower bound of what Stremio Web loads.
  ['Stremio Web\'s core, @stremio/stremio-core-web 0.62.1 (npm: wasm, glue, bridge, worker)', ['stremio_core_web_bg.wasm', 'stremio_core_web.js', 'bridge.js', 'worker.js'].map(f => `node_modules/@stremio/stremio-core-web/${f}`)]
]
for (const [what, list] of refs) {
  const present = list.map(f => path.join(root, f)).filter(existsSync)
  if (present.length !== list.length) { console.log(`| ${what} | not installed | | |`); continue }
  let raw = 0; let br = 0
  for (const f of present) { const s = size(f); raw += s.raw; br += s.br }
  console.log(`| ${what} | reference | ${kb(raw)} | **${kb(br)}** |`)
}
