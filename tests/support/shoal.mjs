// Helpers shared by the node tests: start `shoal` and Debian's Chromium, and clean up after.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const shoalBin = process.env.SHOAL_BIN ?? path.join(root, 'target/debug/shoal')
export const resultsDir = path.join(root, 'test-results')

/**
 * Runs `cmd ARGS` to completion; returns {status, stdout, stderr}. A run that takes longer than
 * `timeoutMs` is killed (SIGKILL) and throws, naming `what`, so a hung tool fails its test
 * instead of hanging the suite. Other `opts` go to spawnSync.
 */
export function runTool (cmd, args, { timeoutMs = 60_000, what = `${cmd} ${args.join(' ')}`, ...opts } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', ...opts })
  if (r.error?.code === 'ETIMEDOUT') throw new Error(`${what} did not finish in ${timeoutMs / 1000} s and was killed`)
  if (r.error) throw new Error(`${what} could not run: ${r.error.message}`)
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Runs `shoal ARGS` to completion (killed after `timeoutMs`); returns {status, stdout, stderr}. */
export function runShoal (args, { timeoutMs = 60_000, ...opts } = {}) {
  return runTool(shoalBin, args, { timeoutMs, what: `shoal ${args[0]}`, ...opts })
}

// Every long-running child still alive. If the test process ends without stopping one (a
// failed `before`, an uncaught error), it is killed here rather than outliving the suite.
const live = new Set()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

/**
 * Starts a long-running `shoal ARGS` and resolves once its stdout matches `ready` (a RegExp;
 * the first capture group is returned as `found`; `cwd` is its working folder, by default
 * this process's; `env` adds to its environment). Rejects, after stopping the process, if it
 * exits first or nothing matches in `timeoutMs`. The caller must `await proc.stop()`, which
 * sends SIGTERM, then SIGKILL after `killAfterMs`, and resolves with the exit code.
 */
export async function spawnShoal (args, { ready, what, timeoutMs = 20_000, killAfterMs = 8_000, log = 'warn', cwd, env = {} }) {
  const child = spawn(shoalBin, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Tests stay on loopback: no DHT node joining the public routers unless the test brings
    // its own bootstrap nodes.
    env: {
      ...process.env,
      RUST_LOG: process.env.RUST_LOG ?? log,
      ...(args.includes('--dht-bootstrap') ? {} : { SHOAL_NO_DHT: 'true' }),
      ...env
    }
  })
  live.add(child)
  child.once('exit', () => live.delete(child))
  let stderr = ''
  child.stderr.on('data', d => { stderr += d })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
    child.kill('SIGTERM')
    // A process that ignores SIGTERM is killed; its exit code is then null, which the tests
    // that check for a clean exit (0) report.
    const timer = setTimeout(() => {
      process.stderr.write(`${what} did not exit ${killAfterMs / 1000} s after SIGTERM: killed\n`)
      child.kill('SIGKILL')
    }, killAfterMs)
    const code = await exited
    clearTimeout(timer)
    return code
  }
  try {
    const found = await new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`${what} did not get ready in ${timeoutMs / 1000} s: ${stderr}`)), timeoutMs)
      child.stdout.on('data', d => {
        out += d
        const m = out.match(ready)
        if (m) { clearTimeout(timer); resolve(m[1]) }
      })
      child.on('exit', code => { clearTimeout(timer); reject(new Error(`${what} exited with ${code}: ${stderr}`)) })
    })
    return { found, child, stderr: () => stderr, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/**
 * Starts `shoal serve` on a free loopback port and resolves once it prints its URL.
 * The caller must `await server.stop()`.
 */
export async function startServe (extraArgs = []) {
  const proc = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', path.join(root, 'dist'), ...extraArgs], {
    ready: /open (http:\/\/127\.0\.0\.1:\d+\/)/, what: 'shoal serve', killAfterMs: 5_000
  })
  return { url: proc.found, stop: proc.stop }
}

/** Debian's Chromium, headless, with a fresh profile; flags that work as root here. */
export async function launchBrowser () {
  const profile = mkdtempSync(path.join(tmpdir(), 'shoal-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'
    ],
    viewport: { width: 1100, height: 900 }
  })
  return {
    context,
    async close () {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    }
  }
}

/** Opens a page that records uncaught errors (a wasm that fails at init leaves no other trace). */
export async function openPage (context, url) {
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  page.on('console', msg => { if (msg.type() === 'error') errors.push(new Error(msg.text())) })
  await page.goto(url)
  return { page, errors }
}

export async function screenshot (page, name) {
  mkdirSync(resultsDir, { recursive: true })
  const file = path.join(resultsDir, `${name}.png`)
  await page.screenshot({ path: file, fullPage: true })
  return file
}
