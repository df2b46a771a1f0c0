// Trunk post_build hook step (scripts/post-build.sh): copies the player module's build
// (scripts/build-player-module.sh) into the whole app's staging folder: its `player.html`, wasm,
// JS glue and snippets. The two builds share everything else (stylesheet, icons, hls.js, sw.js),
// so a file both have must be byte for byte the same: two different files under one name would
// leave one of the modules with the other's file, and the merge refuses instead.
//
//   node scripts/merge-player-module.mjs PLAYER_DIST [DIR]   DIR defaults to $TRUNK_STAGING_DIR
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { filesUnder } from './files-under.mjs'

const from = process.argv[2]
const into = process.argv[3] ?? process.env.TRUNK_STAGING_DIR
if (!from || !into) {
  console.error('merge-player-module: give the player build and the build folder (or run as a Trunk hook)')
  process.exit(2)
}
if (!existsSync(path.join(from, 'player.html'))) {
  console.error(`merge-player-module: no player.html in ${from}: scripts/build-player-module.sh builds it (Trunk's pre_build hook)`)
  process.exit(1)
}

let copied = 0
const clashes = []
for (const file of filesUnder(from)) {
  const rel = path.relative(from, file)
  // The `.br`/`.gz` copies are written afterwards for the merged folder (precompress.mjs).
  if (/\.(br|gz)$/.test(rel)) continue
  const target = path.join(into, rel)
  if (existsSync(target)) {
    if (!readFileSync(target).equals(readFileSync(file))) clashes.push(rel)
    continue
  }
  mkdirSync(path.dirname(target), { recursive: true })
  copyFileSync(file, target)
  copied++
}
if (clashes.length) {
  console.error(`merge-player-module: the two builds differ in ${clashes.join(', ')}`)
  process.exit(1)
}
console.log(`merge-player-module: ${copied} files of the player module added`)
