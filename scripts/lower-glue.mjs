// Trunk post_build hook (Trunk.toml, before the precache hook): rewrites the two constructs
// newer than ES2017 in what Trunk 0.21 and wasm-bindgen 0.2.130 generate, so the app's
// JavaScript parses as ES2017 for old TV browsers (scripts/check-es2017.mjs checks the result).
//
// 1. wasm-bindgen's `debugString` helper:  /\[object ([^\]]+)\]/.exec(toStringOutput)?.[1]
//    `RegExp.prototype.exec` returns an array or null, so `(… || [])[1]` means the same.
// 2. Trunk's loader in the page awaits at the top level of a module (ES2022, Chromium 89):
//    `const wasm = await init(…); rest` becomes `init(…).then(function (wasm) { rest })`,
//    the same order of effects.
// Anything else newer than ES2017 is left alone for the check to report.
//
//   node scripts/lower-glue.mjs [DIR]      DIR defaults to $TRUNK_STAGING_DIR
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR
if (!dir) {
  console.error('lower-glue: give the build folder, or run as a Trunk hook (TRUNK_STAGING_DIR)')
  process.exit(2)
}
// `<regex literal>.exec(<identifier>)?.[<digits>]`
const OPTIONAL_EXEC = /(\/(?:\\.|\[(?:\\.|[^\]\\])*\]|[^/\\[\n])+\/[a-z]*\.exec\([A-Za-z_$][\w$]*\))\?\.\[(\d+)\]/g
let changed = 0
// The build's page: `index.html`, or `player.html` in the player module's build
// (scripts/build-player-module.sh).
const pages = readdirSync(dir).filter(name => name.endsWith('.html'))
if (pages.length !== 1) {
  console.error(`lower-glue: expected one page in ${dir}, found ${pages.length}`)
  process.exit(1)
}
const index = path.join(dir, pages[0])
let html = readFileSync(index, 'utf8')
for (const name of readdirSync(dir)) {
  if (!/^shoal-app-[0-9a-f]+\.js$/.test(name)) continue
  const file = path.join(dir, name)
  const text = readFileSync(file, 'utf8')
  const lowered = text.replace(OPTIONAL_EXEC, (_, call, index) => { changed++; return `(${call} || [])[${index}]` })
  if (lowered === text) continue
  writeFileSync(file, lowered)
  // Trunk's modulepreload link carries the file's SRI hash: it must name the new bytes.
  const sri = 'sha384-' + createHash('sha384').update(lowered).digest('base64')
  const link = new RegExp(`(href="/${name.replace(/[.]/g, '\\.')}"[^>]*integrity=")[^"]*(")`)
  html = html.replace(link, `$1${sri}$2`)
}
const TOP_AWAIT = /const wasm = await (init\([^;]*\));\n([\s\S]*?)(<\/script>)/
const loader = html.replace(TOP_AWAIT, (_, call, rest, end) => { changed++; return `${call}.then(function (wasm) {\n${rest}});\n${end}` })
if (loader !== html) writeFileSync(index, loader)
console.log(`lower-glue: ${changed} construct(s) rewritten`)
