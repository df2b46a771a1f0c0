// Trunk post_build hook (Trunk.toml): writes the Service Worker's precache list into the built
// `sw.js`, so the worker knows this build's hashed file names without a hand-kept list.
//
//   node scripts/precache.mjs [DIR]      DIR defaults to $TRUNK_STAGING_DIR (Trunk sets it)
//
// The list is every file of the build except the worker itself, `index.html` as `/index.html`.
// The version is a SHA-256 over the files' names and contents, so any change to the app gives
// a new sw.js, which browsers notice as a new deployment. Running it again on the same folder
// replaces the line it wrote before.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { filesUnder } from './files-under.mjs'

const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR
if (!dir) {
  console.error('precache: give the build folder, or run as a Trunk hook (TRUNK_STAGING_DIR)')
  process.exit(2)
}
const MARK = 'self.SHOAL_PRECACHE = '

const worker = path.join(dir, 'sw.js')
// The `.br`/`.gz` copies (scripts/precompress.mjs) are the same files in another encoding.
const files = filesUnder(dir).filter(f => f !== worker && !/\.(br|gz)$/.test(f))
const hash = createHash('sha256')
const urls = []
for (const file of files) {
  const url = '/' + path.relative(dir, file).split(path.sep).join('/')
  urls.push(url)
  hash.update(url + '\0')
  hash.update(readFileSync(file))
}
const source = readFileSync(worker, 'utf8').split('\n').filter(l => !l.startsWith(MARK)).join('\n')
hash.update(source)
const version = hash.digest('hex').slice(0, 16)
writeFileSync(worker, `${MARK}${JSON.stringify({ version, files: urls })}\n${source}`)
console.log(`precache: ${urls.length} files, version ${version}`)
