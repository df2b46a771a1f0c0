// Helpers for the tracker tests: start `shoal tracker` on a free loopback port, and launch
// Chromium with the flags WebRTC between two local pages needs (see shared toolchain notes).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { shoalBin } from './shoal.mjs'

/**
 * Starts `shoal tracker --listen 127.0.0.1:0 ARGS`; resolves once it prints its URL.
 * Returns {url, http, child, stderr(), stop()}; the caller must `await tracker.stop()`.
 */
export async function startTracker (extraArgs = []) {
  const child = spawn(shoalBin, ['tracker', '--listen', '127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' }
  })
  let stderr = ''
  child.stderr.on('data', d => { stderr += d })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000)
    const code = await exited
    clearTimeout(timer)
    return code
  }
  try {
    const url = await new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`shoal tracker did not start in 20 s: ${stderr}`)), 20_000)
      child.stdout.on('data', d => {
        out += d
        const m = out.match(/(ws:\/\/127\.0\.0\.1:\d+)\//)
        if (m) { clearTimeout(timer); resolve(m[1]) }
      })
      child.on('exit', code => { clearTimeout(timer); reject(new Error(`shoal tracker exited with ${code}: ${stderr}`)) })
    })
    return { url, http: url.replace('ws://', 'http://'), child, stderr: () => stderr, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/**
 * Headless Chromium whose pages can open WebRTC connections to each other over loopback:
 * loopback candidates allowed, no mDNS hiding, and (granted per origin by the caller through
 * `grant(origin)`) camera+microphone permission, without which Chromium hides host candidates.
 * Playwright's defaults are ignored so that our --disable-features value is the only one.
 */
export async function launchWebRtcBrowser () {
  const profile = mkdtempSync(path.join(tmpdir(), 'shoal-webrtc-'))
  let context
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      ignoreDefaultArgs: true,
      args: [
        '--headless=new', '--remote-debugging-pipe', `--user-data-dir=${profile}`,
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--no-default-browser-check',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage', '--mute-audio', '--password-store=basic', '--use-mock-keychain',
        '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
        'about:blank'
      ]
    })
  } catch (err) {
    rmSync(profile, { recursive: true, force: true })
    throw err
  }
  return {
    context,
    grant: origin => context.grantPermissions(['camera', 'microphone'], { origin }),
    async close () {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    }
  }
}
