// Bundle sizes, brotli (quality 11, as a server would precompress) and raw, for docs/benchmarks.md:
// what each kind of Shoal page downloads from the built app, and the reference bundles that
// are installed in node_modules.
//   node scripts/bundle-size.mjs [DIST]
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants } from 'node:zlib'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'))

const size = file => {
  const raw = readFileSync(file)
  const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })
  return { raw: raw.length, br: br.length }
}
const walk = folder => readdirSync(folder).flatMap(n => {
  const f = path.join(folder, n)
  return statSync(f).isDirectory() ? walk(f) : [f]
})
const kb = n => (n / 1024).toFixed(1)
// Without the `.br`/`.gz` copies scripts/precompress.mjs writes (the same files, compressed).
const files = walk(dist).filter(f => !/\.(br|gz)$/.test(f))
const pick = re => files.filter(f => re.test(path.relative(dist, f)))
// Every page of the single-page app loads the same shell: the HTML, the wasm, its JS glue and
// snippets, and the stylesheet. Only HLS playback adds hls.js (loaded on demand).
const shell = [...pick(/^index\.html$/), ...pick(/^shoal-app-.*\.js$/), ...pick(/^snippets\//), ...pick(/_bg\.wasm$/), ...pick(/^style-.*\.css$/)]
const rows = [
  ['every page (home, discover, player, /play, /embed of a torrent)', shell],
  ['HLS playback (/watch of an .m3u8, /embed of an .m3u8): the above + hls.js', [...shell, ...pick(/^hls\.min\.js$/)]],
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
for (const f of shell) { const s = size(f); console.log(`|   ${path.relative(dist, f).replace(/-[0-9a-f]{12,20}/, '-…')} | | ${kb(s.raw)} | ${kb(s.br)} |`) }
const refs = [
  ['WebTorrent 3.0.21 browser bundle (npm webtorrent, dist/webtorrent.min.js)', ['node_modules/webtorrent/dist/webtorrent.min.js']],
  ['hls.js 1.7.4 (npm hls.js, dist/hls.min.js)', ['node_modules/hls.js/dist/hls.min.js']],
  ['p2p-media-loader 2.3.1 core + hlsjs (npm, dist/*.es.min.js)', ['node_modules/p2p-media-loader-core/dist/p2p-media-loader-core.es.min.js', 'node_modules/p2p-media-loader-hlsjs/dist/p2p-media-loader-hlsjs.es.min.js']]
]
for (const [what, list] of refs) {
  const present = list.map(f => path.join(root, f)).filter(existsSync)
  if (present.length !== list.length) { console.log(`| ${what} | not installed | | |`); continue }
  let raw = 0; let br = 0
  for (const f of present) { const s = size(f); raw += s.raw; br += s.br }
  console.log(`| ${what} | reference | ${kb(raw)} | **${kb(br)}** |`)
}
