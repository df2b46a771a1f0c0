// The loader against the real broadcaster: `shoal serve --channel demo=testsrc` (crates/shoal,
// issue 13's origin side), viewed at /live/demo. Every segment the page gets carries a Shoal
// tag that must check against its info hash and verify piece by piece. Skipped (with the
// reason) where the shoal binary has no --channel yet.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { launchBrowser, root, runShoal, screenshot } from '../support/shoal.mjs'
import { startCompanion } from '../support/companion-serve.mjs'
import { removeDir } from '../support/addon-fixture.mjs'

const hasChannels = /--channel/.test(runShoal(['serve', '--help']).stdout)
let app, browser, scratch

before(async () => {
  if (!hasChannels) return
  scratch = mkdtempSync(path.join(tmpdir(), 'shoal-hls-channel-'))
  app = await startCompanion({
    dist: process.env.SHOAL_DIST ?? path.join(root, 'dist'),
    library: mkdtempSync(path.join(scratch, 'library-')),
    cache: mkdtempSync(path.join(scratch, 'cache-')),
    args: ['--channel', 'demo=testsrc', '--channels-dir', mkdtempSync(path.join(scratch, 'channels-'))]
  })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await app?.stop()
  if (scratch) removeDir(scratch)
})

test('a testsrc channel plays past 10 s at /live/demo with every segment verified against its tag', { skip: !hasChannels && 'this shoal has no --channel' }, async () => {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(`${app.url}/live/demo`)
  await page.waitForFunction(() => document.querySelector('[data-testid=watch-video]')?.currentTime > 10, null, { timeout: 120_000 })
  const s = await page.evaluate(() => window.shoal.hlsStats())
  assert.equal(s.live, true)
  assert.match(s.swarm ?? '', /^[0-9a-f]{40}$/, 'the playlist carries the channel tag')
  assert.equal(s.refusedTags, 0)
  assert.ok(s.segments >= 3 && s.taggedSegments === s.segments, JSON.stringify(s))
  assert.ok(s.recent.every(r => r.delivery === 'httpVerified'), JSON.stringify(s.recent))
  console.log(`stalls: ${s.stalls}, live distance: ${s.liveDistance}`)
  await screenshot(page, 'hls-channel')
  assert.deepEqual(errors, [])
  await page.close()
})
