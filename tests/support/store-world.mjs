// What the download store's end-to-end tests share: a browser profile with its own store,
// `shoal serve`, a fixture server for videos and .torrent files, and the waits and readings
// the store tests make (stats, whole-file stored, played to the end, /downloads rows).
import { makeTorrent, playsPast, startFixtureServer, withTimeout } from './player-fixtures.mjs'
import { startServe } from './shoal.mjs'
import { launchWebRtcBrowser } from './tracker.mjs'

export const MiB = 1024 * 1024

/** Loopback-only settings (no public trackers, no STUN) plus store settings. */
export const settings = extra => JSON.stringify({ trackers: [], ice_servers: [], ...extra })

export const stats = page => page.evaluate(() => window.shoal.stats())

/** A browser profile with its own store, `shoal serve`, and a fixture server. */
export async function world () {
  const serve = await startServe()
  const fixtures = await startFixtureServer({})
  const browser = await launchWebRtcBrowser()
  await browser.grant(fixtures.origin)
  await browser.grant(serve.url.replace(/\/$/, ''))
  const base = serve.url.replace(/\/$/, '')
  return {
    serve,
    fixtures,
    browser,
    base,
    /** A video served over HTTP with a .torrent naming it as web seed. */
    addVideo (video, name, { announce = [], pieceLength } = {}) {
      fixtures.addFile(`/${name}`, video.file)
      const t = makeTorrent(video, { webseeds: [`${fixtures.origin}/${name}`], announce, pieceLength })
      fixtures.addFile(`/${name}.torrent`, t.torrentFile)
      return { ...t, url: `${fixtures.origin}/${name}.torrent`, path: `/${name}` }
    },
    /** A Shoal page with these settings, recording uncaught errors. */
    async open (pathAndQuery, extra = {}, init) {
      const page = await browser.context.newPage()
      const errors = []
      page.on('pageerror', e => errors.push(e))
      if (init) await page.addInitScript(init)
      await page.goto(serve.url)
      await page.evaluate(s => localStorage.setItem('shoal.settings', s), settings(extra))
      await page.goto(base + pathAndQuery)
      return { page, errors }
    },
    async stop () {
      await browser.close()
      await fixtures.stop()
      await serve.stop()
    }
  }
}

/** Waits until every piece is verified and the store holds at least `bytes` (written out). */
export async function storedWhole (page, bytes, what) {
  await withTimeout(page.waitForFunction(n => {
    const s = window.shoal?.stats?.()
    return s && s.pieces_total > 0 && s.pieces_verified === s.pieces_total && s.store_bytes >= n
  }, bytes, { timeout: 0, polling: 200 }), 120_000, what)
}

/** Plays the `<video>` to its end (seeking near the end first, to be quick). */
export async function playToEnd (page, what) {
  await playsPast(page, 1, `${what}: playing`)
  await page.evaluate(() => { const v = document.querySelector('video'); v.currentTime = Math.max(0, v.duration - 1.5) })
  await withTimeout(page.waitForFunction(() => document.querySelector('video')?.ended, null, { timeout: 0, polling: 200 }), 90_000, `${what}: ended`)
}

/** The rows of /downloads as {hash, title, kind, segments, stored, percent}. */
export async function downloads (page) {
  await page.waitForSelector('[data-testid=store-total]', { timeout: 30_000 })
  return page.$$eval('[data-testid=download]', rows => rows.map(r => ({
    hash: r.dataset.infoHash,
    kind: r.dataset.kind,
    segments: Number(r.dataset.segments),
    title: r.querySelector('h3').textContent,
    stored: r.querySelector('[data-field=stored]').textContent,
    percent: r.querySelector('[data-field=percent]').textContent
  })))
}
