// Starts `shoal serve` for the companion tests with a library folder and a throw-away app
// folder (a page that loads npm webtorrent's browser bundle), on a free loopback port.
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { root, shoalBin } from './shoal.mjs'

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
  const child = spawn(shoalBin, ['serve', '--listen', '127.0.0.1:0', '--dist', dist, '--library', library,
    '--cache-dir', cache, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' }
  })
  let stderr = ''
  child.stderr.on('data', d => { stderr += d })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    const code = await exited
    clearTimeout(timer)
    return code
  }
  try {
    const url = await new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`shoal serve did not start in 60 s: ${stderr}`)), 60_000)
      child.stdout.on('data', d => {
        out += d
        const m = out.match(/open (http:\/\/127\.0\.0\.1:\d+)\//)
        if (m) { clearTimeout(timer); resolve(m[1]) }
      })
      child.on('exit', code => { clearTimeout(timer); reject(new Error(`shoal serve exited with ${code}: ${stderr}`)) })
    })
    return { url, stderr: () => stderr, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
