// HLS VOD streams in the download store (issue 14): the verified segments of a tagged stream
// are kept; a reload of the stream takes them from the store instead of the origin; /downloads
// lists the stream as ONE item (its title, stored size and segment count) with a Play link to
// the playlist, not one item per segment; deleting that item deletes every segment, so the
// next play fetches them from the origin again.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startHlsApp } from '../support/hls-fixture.mjs'
import { withTimeout } from '../support/player-fixtures.mjs'
import { launchBrowser, screenshot } from '../support/shoal.mjs'
import { downloads } from '../support/store-world.mjs'

let world, app, browser, origin, watchUrl

before(async () => {
  world = await startHlsApp()
  ;({ app, origin } = world)
  browser = await launchBrowser()
  watchUrl = new URL(`/watch?hls=${encodeURIComponent(`${origin.base}/tagged.m3u8`)}`, app.url).href
})

after(async () => {
  await browser?.close()
  await world?.stop()
})

async function watch (seconds) {
  const page = await browser.context.newPage()
  const errors = []
  page.on('pageerror', e => errors.push(e))
  await page.goto(watchUrl)
  await page.waitForFunction(s => (document.querySelector('[data-testid=watch-video]')?.currentTime ?? 0) > s,
    seconds, { timeout: 60_000 })
  return { page, errors }
}

/** The stream's row on /downloads once it holds at least `segments` segments. */
async function streamRow (page, segments) {
  const deadline = Date.now() + 60_000
  for (;;) {
    await page.goto(new URL('/downloads', app.url).href)
    const rows = await downloads(page)
    const row = rows.find(r => r.kind === 'HlsStream')
    if (row && row.segments >= segments) return { row, rows }
    assert.ok(Date.now() < deadline, `the stream's segments were stored: ${JSON.stringify(rows)}`)
    await new Promise(resolve => setTimeout(resolve, 500))
  }
}

const delivered = async page => {
  const s = await page.evaluate(() => window.shoal.hlsStats())
  return Object.fromEntries(s.recent.map(r => [r.name, r.delivery]))
}

test('a stream\'s stored segments are one Downloads item; a reload plays them from the store; delete removes them all', async () => {
  const first = await watch(6)
  const list = await browser.context.newPage()
  const { row, rows } = await streamRow(list, 3)
  assert.equal(rows.length, 1, `one item for the whole stream, not one per segment: ${JSON.stringify(rows)}`)
  assert.equal(row.title, 'tagged')
  assert.equal(row.hash, `${origin.base}/tagged.m3u8`)
  assert.match(row.stored, /\d/)
  const play = await list.getAttribute('[data-testid=download] [data-testid=download-play]', 'href')
  assert.equal(play, `/watch?hls=${encodeURIComponent(`${origin.base}/tagged.m3u8`)}`)
  await screenshot(list, 'store-hls-downloads')
  await first.page.close()

  // The reload resumes from the store: the first segment does not come from the origin again.
  const sent = origin.sent['seg-000000.ts']
  const again = await watch(6)
  assert.equal((await delivered(again.page))['seg-000000.ts'], 'store')
  assert.equal(origin.sent['seg-000000.ts'], sent, 'the origin did not send it again')
  await again.page.close()

  // Delete the stream's item: every segment goes, and the next play asks the origin.
  await list.goto(new URL('/downloads', app.url).href)
  await list.waitForSelector('[data-testid=download]')
  await list.click('[data-testid=download] [data-testid=delete]')
  await withTimeout(list.waitForSelector('[data-testid=downloads-empty]'), 30_000, 'the list emptied')
  const cleared = await list.evaluate(() => new Promise((resolve, reject) => {
    const r = indexedDB.open('shoal-store')
    r.onerror = () => reject(r.error)
    r.onsuccess = () => {
      const count = r.result.transaction('pieces').objectStore('pieces').count()
      count.onsuccess = () => { resolve(count.result); r.result.close() }
      count.onerror = () => reject(count.error)
    }
  }))
  assert.equal(cleared, 0, 'no segment record is left')
  const third = await watch(6)
  assert.equal((await delivered(third.page))['seg-000000.ts'], 'httpVerified')
  assert.ok(origin.sent['seg-000000.ts'] > sent, 'fetched from the origin again')
  assert.deepEqual([...first.errors, ...again.errors, ...third.errors], [])
  await third.page.close()
  await list.close()
})
