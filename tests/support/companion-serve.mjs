// Starts `shoal serve` for the companion tests with a library folder and an app folder (for
// example webtorrent.mjs's writeWebTorrentApp), on a free loopback port.
import { spawnShoal } from './shoal.mjs'

/** `shoal serve --listen 127.0.0.1:0 --dist DIST --library LIB ARGS`; resolves with {url, stop()}. */
export async function startCompanion ({ dist, library, cache, args = [] }) {
  const proc = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--library', library,
    '--cache-dir', cache, ...args], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve', timeoutMs: 60_000, killAfterMs: 10_000, log: 'info'
  })
  return { url: proc.found, stderr: proc.stderr, stop: proc.stop }
}
