// Trunk post_build hook (Trunk.toml, after the precache hook): writes a brotli (`.br`, quality
// 11) and a gzip (`.gz`, level 9) copy beside every compressible file of the build, which the
// companion's static-file service sends to browsers that accept them
// (crates/shoal/src/serve/app_files.rs). Compressing the 1.5 MiB wasm on every request cost
// the companion CPU per viewer (≈ 50–120 ms in a release build, 0.8–1.3 s in a debug one) and
// the viewer that much start-up time; compressed once here, it is a file read, and brotli at
// quality 11 is smaller than what a server can afford on the fly. Files under 1 KiB, and copies
// not smaller than the file, are left out. Running it again replaces the copies.
//
//   node scripts/precompress.mjs [DIR]      DIR defaults to $TRUNK_STAGING_DIR (Trunk sets it)
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { filesUnder } from './files-under.mjs'

const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR
if (!dir) {
  console.error('precompress: give the build folder, or run as a Trunk hook (TRUNK_STAGING_DIR)')
  process.exit(2)
}
const COMPRESSIBLE = /\.(wasm|js|mjs|css|html|svg|json|webmanifest)$/
const MIN_BYTES = 1024

for (const file of filesUnder(dir)) {
  if (!COMPRESSIBLE.test(file)) continue
  const raw = readFileSync(file)
  const copies = {
    '.br': () => brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
    '.gz': () => gzipSync(raw, { level: 9 })
  }
  for (const [ext, compress] of Object.entries(copies)) {
    const out = file + ext
    rmSync(out, { force: true })
    if (raw.length < MIN_BYTES) continue
    const packed = compress()
    if (packed.length < raw.length) writeFileSync(out, packed)
  }
}
