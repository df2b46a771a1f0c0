// Helpers for the tracker tests: start `shoal tracker` on a free loopback port, and launch
// Chromium with the flags WebRTC between two local pages needs (see shared toolchain notes).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { spawnShoal } from './shoal.mjs'

/**
 * Starts `shoal tracker --listen 127.0.0.1:0 ARGS`; resolves once it prints its URL.
 * Returns {url, http, child, stderr(), stop()}; the caller must `await tracker.stop()`.
 */
export async function startTracker (extraArgs = []) {
  const proc = await spawnShoal(['tracker', '--listen', '127.0.0.1:0', ...extraArgs], {
    ready: /(ws:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal tracker'
  })
  const url = proc.found
  return { url, http: url.replace('ws://', 'http://'), child: proc.child, stderr: proc.stderr, stop: proc.stop }
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
