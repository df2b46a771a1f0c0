// Starts `shoal serve` for the companion tests with a library folder and a throw-away app
// folder (a page that loads npm webtorrent's browser bundle), on a free loopback port.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { root, spawnShoal } from './shoal.mjs'

/** Writes a minimal "app" into `dir`: index.html loading webtorrent.min.js as window.WebTorrent. */
export function writeWebTorrentApp (dir) {
  mkdirSync(dir, { recursive: true })
  copyFileSync(path.join(root, 'node_modules/webtorrent/dist/webtorrent.min.js'), path.join(dir, 'webtorrent.min.js'))
  writeFileSync(path.join(dir, 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>companion test</title>' +
    '<script type="module">import WebTorrent from "/webtorrent.min.js"; window.WebTorrent = WebTorrent</script>')
}

/** `shoal serve --listen 127.0.0.1:0 --dist DIST --library LIB ARGS`; resolves with {url, stop()}. */
export async function startCompanion ({ dist, library, cache, args = [] }) {
  const proc = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--library', library,
    '--cache-dir', cache, ...args], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', timeoutMs: 60_000, killAfterMs: 10_000, log: 'info'
  })
  return { url: proc.found, stderr: proc.stderr, stop: proc.stop }
}
