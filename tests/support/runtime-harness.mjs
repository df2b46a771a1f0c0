// Builds the runtime's test-only page harness (crates/runtime/examples/interop_harness.rs) with
// cargo and wasm-bindgen into test-results/runtime-harness/, and serves it with a page that
// exposes `window.shoalDownload`. Never part of the shipped app.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { root, resultsDir, runTool } from './shoal.mjs'

export const harnessDir = path.join(resultsDir, 'runtime-harness')

function run (cmd, args) {
  // A cold build of the harness takes minutes on two cores; a hung one must not hang the suite.
  const r = runTool(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], timeoutMs: 900_000 })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`)
}

/** Builds the harness (debug wasm) and returns the directory holding its JS and wasm. */
export function buildHarness () {
  const target = process.env.CARGO_TARGET_DIR ?? path.join(root, 'target')
  run('cargo', ['build', '--target', 'wasm32-unknown-unknown', '-p', 'shoal-runtime', '--example', 'interop_harness'])
  run('wasm-bindgen', ['--target', 'web', '--out-dir', harnessDir,
    path.join(target, 'wasm32-unknown-unknown/debug/examples/interop_harness.wasm')])
  return harnessDir
}

export const harnessPage = '<!doctype html><meta charset="utf-8"><title>runtime harness</title>' +
  '<script type="module">import init, { download } from "/harness/interop_harness.js";' +
  ' await init(); window.shoalDownload = download</script>'

/** Answers /leecher (the harness page) and /harness/* (its JS and wasm); returns false for
 * other paths, so it can be the extra handler of `serveWebTorrentPage`. */
export function serveHarness (req, res) {
  if (req.url === '/leecher') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(harnessPage)
    return true
  }
  const m = req.url.match(/^\/harness\/(interop_harness(?:_bg)?\.(?:js|wasm))$/)
  if (!m) return false
  const type = m[1].endsWith('.wasm') ? 'application/wasm' : 'text/javascript'
  res.writeHead(200, { 'content-type': type }).end(readFileSync(path.join(harnessDir, m[1])))
  return true
}

/** Opens the harness page in `browser` (page errors go to `errors`) once `shoalDownload` is
 * there. */
export async function openHarnessPage (browser, origin, errors) {
  const page = await browser.context.newPage()
  page.on('pageerror', e => errors.push(e))
  await page.goto(origin + '/leecher')
  await page.waitForFunction(() => typeof window.shoalDownload === 'function')
  return page
}
