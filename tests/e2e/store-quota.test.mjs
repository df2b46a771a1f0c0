// The download store when the browser's quota runs out (issue 14): a second video that does
// not fit beside the first evicts it (QuotaExceededError → evict → retry) and is stored whole;
// a third that does not fit even alone plays to its end from memory while the player shows the
// store's notice. The quota is the store's test hook `window.shoal.storeQuota(bytes)`, set
// after the store opened: its writes then fail past that many bytes exactly as the browser's
// QuotaExceededError makes them fail. (Chromium 156 ignores CDP Storage.overrideQuotaForOrigin:
// estimate() keeps its quota and writes go on; a profile on a full file system does raise the
// real error — a transaction aborted with QuotaExceededError, which the store reads — but needs
// a mount.) The videos are opened through the app's own links and form, so the page stays the
// same document throughout.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { makeVideo, withTimeout } from '../support/player-fixtures.mjs'
import { screenshot } from '../support/shoal.mjs'
import { MiB, playToEnd, stats, storedWhole, world } from '../support/store-world.mjs'

/** Opens `src` the way a viewer does: the nav's home link, then the start page's form. */
async function openFromHome (page, src) {
  await page.click('.app-nav-brand')
  await page.fill('#source', src)
  await page.click('[data-testid=play]')
  await page.waitForURL(/\/play\?/)
  await page.waitForSelector('video')
}

const storeNotice = page => page.locator('[data-testid=notices] [data-notice=store]')

describe('the quota runs out', () => {
  let w, first, second, third, page, errors

  before(async () => {
    w = await world()
    // Noise at a fixed bitrate: sizes the encoder cannot shrink; 256 KiB pieces.
    const video = (seconds, bitrate, name) => {
      const v = makeVideo(seconds, { bitrate })
      return { video: v, torrent: w.addVideo(v, name, { pieceLength: 262144 }) }
    }
    first = video(8, '6M', 'first.mp4')
    second = video(8, '6M', 'second.mp4')
    third = video(20, '8M', 'third.mp4')
  })

  after(async () => {
    await w?.stop()
    for (const v of [first, second, third]) v?.video.cleanup()
  })

  test('QuotaExceededError evicts the older video and retries; the newer one is stored whole', async () => {
    ;({ page, errors } = await w.open(`/play?src=${encodeURIComponent(first.torrent.url)}`))
    await playToEnd(page, 'the first video')
    await storedWhole(page, first.video.bytes.length, 'storing the first video')

    // Room for about 4 MiB more: the second video (≈ 6 MiB) fits only once the first is gone.
    const stored = (await stats(page)).store_bytes
    assert.equal(await page.evaluate(q => window.shoal.storeQuota(q), stored + 4 * MiB), true)
    await page.evaluate(() => { window.__sameDocument = true })

    await openFromHome(page, second.torrent.url)
    await playToEnd(page, 'the second video')
    await storedWhole(page, second.video.bytes.length, 'storing the second video')
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded')
    const s = await stats(page)
    // Exactly the second video: the first is gone and the second is whole.
    assert.equal(s.store_bytes, second.video.bytes.length,
      `only the second video is stored: ${JSON.stringify({ ...s, have: undefined })}`)
    assert.equal(s.store_write_failures, 0, 'every write landed, after the retry')
    assert.equal(s.notice, null)
    assert.equal(await storeNotice(page).count(), 0, 'no notice')
  })

  test('a video that cannot fit even alone plays to its end from memory, with a visible notice', async () => {
    await openFromHome(page, third.torrent.url)
    await withTimeout(storeNotice(page).waitFor({ state: 'visible', timeout: 0 }), 120_000, 'the store notice')
    await playToEnd(page, 'the third video')
    // Playing from memory promises the whole video stays in the memory window (24 MiB of the
    // default 32 MiB budget; the video ≈ 20 MiB) although its writes fail: the engine keeps a piece whose write failed
    // while the window holds it. The end of the video can play before every middle piece has
    // arrived (the player seeks near the end), so wait for the download to finish, then check
    // that no piece was dropped and fetched again (a dropped piece is fetched again at once,
    // and again whenever its write fails: the download would never settle, or exceed 2×).
    await withTimeout(page.waitForFunction(() => {
      const s = window.shoal?.stats?.()
      return s && s.pieces_total > 0 && s.pieces_verified === s.pieces_total
    }, null, { timeout: 0, polling: 200 }), 120_000, 'every piece of the third video verified and kept')
    const s = await stats(page)
    assert.equal(s.pieces_verified, s.pieces_total, 'every piece verified and still held')
    assert.ok(s.bytes_from_http + s.bytes_from_peers < 2 * third.video.bytes.length,
      `no piece fetched again: ${s.bytes_from_http + s.bytes_from_peers} bytes for ${third.video.bytes.length}`)
    assert.ok(s.store_write_failures > 0, JSON.stringify(s))
    assert.ok(s.store_bytes < third.video.bytes.length, `${s.store_bytes} bytes stored`)
    assert.match(s.notice ?? '', /full/)
    assert.ok(await storeNotice(page).isVisible(), 'the notice is still shown at the end')
    assert.match(await storeNotice(page).textContent(), /plays from memory/)
    await screenshot(page, 'store-quota-notice')
    assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was not reloaded')
    assert.deepEqual(errors, [])
  })
})
