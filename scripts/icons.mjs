// Renders the app's PNG icons (public/icons/*.png) from their SVG sources with Debian's
// Chromium, so the icons stay one drawing each. Run once after changing an SVG:
//   node scripts/icons.mjs
// The PNGs are committed: the build does not need a browser.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const pub = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public')
const jobs = [
  ['favicon.svg', 'icons/icon-192.png', 192],
  ['favicon.svg', 'icons/icon-512.png', 512],
  ['icons/maskable.svg', 'icons/maskable-192.png', 192],
  ['icons/maskable.svg', 'icons/maskable-512.png', 512]
]
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' })
try {
  for (const [src, out, size] of jobs) {
    const page = await browser.newPage({ viewport: { width: size, height: size } })
    const svg = readFileSync(path.join(pub, src), 'utf8')
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`)
    writeFileSync(path.join(pub, out), await page.screenshot({ omitBackground: true }))
    await page.close()
  }
} finally {
  await browser.close()
}
