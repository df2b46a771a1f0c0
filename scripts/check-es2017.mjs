// Checks that every script the built app ships parses as ES2017, the JavaScript of the TV
// browsers Shoal targets (Chromium 68+, see docs/reach.md). Run by scripts/test.sh after
// `trunk build`:   node scripts/check-es2017.mjs [DIST]
// Module files (the wasm-bindgen glue and its snippets) are parsed as modules, the rest as
// classic scripts, and so are the pages' inline scripts. A syntax newer than ES2017 (`?.`,
// `??`, class fields, top-level await, …) fails the check with the file, line and column.
// One exception is allowed and counted: `import.meta` (ES2020 syntax, but in Chromium since
// 64), which the glue uses only when it is not given the wasm's path (Trunk always gives it).
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as acorn from 'acorn'
import { filesUnder } from './files-under.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.resolve(process.argv[2] ?? path.join(root, 'dist'))

const scripts = filesUnder(dist).filter(f => f.endsWith('.js')).map(file => ({ file, text: readFileSync(file, 'utf8') }))
// The pages' inline scripts: index.html's and the player module's player.html (docs/reach.md).
for (const page of readdirSync(dist).filter(name => name.endsWith('.html'))) {
  const html = readFileSync(path.join(dist, page), 'utf8')
  for (const [, attrs, text] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    if (text.trim()) scripts.push({ file: path.join(dist, `${page} <script${attrs}>`), text, module: /type="module"/.test(attrs) })
  }
}
if (scripts.length === 0) {
  console.error(`check-es2017: no .js files in ${dist}; build the app first (trunk build --release)`)
  process.exit(2)
}
let failed = 0
let importMeta = 0
for (const script of scripts) {
  const file = script.file
  // Same length, so positions in messages stay true.
  const text = script.text.replace(/\bimport\.meta\b/g, () => { importMeta++; return 'import_meta' })
  const module = script.module ?? /^\s*(import|export)\s/m.test(text)
  try {
    acorn.parse(text, { ecmaVersion: 2017, sourceType: module ? 'module' : 'script' })
    console.log(`ok      ${path.relative(dist, file)} (${module ? 'module' : 'script'})`)
  } catch (e) {
    failed++
    const line = text.split('\n')[e.loc.line - 1] ?? ''
    const at = line.slice(Math.max(0, e.loc.column - 30), e.loc.column + 30)
    console.log(`NOT ES2017  ${path.relative(dist, file)}:${e.loc.line}:${e.loc.column}: ${e.message} … ${at}`)
  }
}
if (importMeta) console.log(`allowed: import.meta × ${importMeta} (Chromium 64+)`)
process.exit(failed ? 1 : 0)
