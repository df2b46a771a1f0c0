// Issue 15, test 4: the gateway's `/hls/HASH/N/…`. The test makes two 60 s MKVs with ffmpeg:
// HEVC video + AC3 audio (neither plays in a browser) and H.264 + AC3 (only the audio does not);
// Debian's transmission-daemon seeds both, announced to npm bittorrent-tracker over HTTP;
// `shoal serve` adds them and serves them as HLS (probe, plan "transcode" / "audio", a VOD
// playlist of 4 s segments). A segment asked for first, far into the film, starts an ffmpeg run
// there whose timestamps are the film's time. In Chromium, hls.js plays each playlist from the
// start, seeks to 70 % and frames play after the seek.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { makeTorrent, startTracker, startTransmission, waitFor, startGatewayServe } from '../support/bt-swarm.mjs'
import { launchBrowser, openPage, root, runTool, screenshot, spawnShoal } from '../support/shoal.mjs'

const SECONDS = 60
const LEAD_SECONDS = 8
const LEAD = LEAD_SECONDS / 4

const VIDEO = {
  hevc: ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error:keyint=48'],
  // A key frame every 2 s, as encoders for the web make them: copied, it cuts on 4 s.
  h264: ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '48', '-keyint_min', '48', '-sc_threshold', '0']
}

/** A `SECONDS` s 320x240 MKV: `video` (testsrc draws the seconds), AC3 audio. */
function makeMkv (file, video) {
  const r = runTool('ffmpeg', ['-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc=duration=${SECONDS}:size=320x240:rate=24`,
    '-f', 'lavfi', '-i', `sine=frequency=440:duration=${SECONDS}:sample_rate=48000`,
    ...VIDEO[video],
    '-pix_fmt', 'yuv420p', '-c:a', 'ac3', '-b:a', '128k', '-y', file], { what: 'ffmpeg', timeoutMs: 120_000 })
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`)
}

// The page: hls.js on a <video>, with what the test reads on `window.t`.
const PAGE = `<!doctype html><meta charset="utf-8"><title>hls gateway</title><link rel="icon" href="data:,">
<style>body{margin:0;background:#111;color:#eee;font:14px sans-serif}video{width:640px;height:480px;background:#000}</style>
<video id="v" muted playsinline></video><pre id="log"></pre>
<script src="hls.min.js"></script>
<script>
  const v = document.getElementById('v')
  const t = window.t = { errors: [], fatal: null }
  const hls = new Hls()
  hls.on(Hls.Events.ERROR, (e, d) => { t.errors.push(d.details); if (d.fatal) t.fatal = d.details })
  hls.loadSource(new URLSearchParams(location.search).get('src'))
  hls.attachMedia(v)
  hls.on(Hls.Events.MANIFEST_PARSED, () => v.play())
  t.frames = () => v.getVideoPlaybackQuality().totalVideoFrames
  setInterval(() => {
    document.getElementById('log').textContent =
      'time ' + v.currentTime.toFixed(2) + ' / ' + (v.duration || 0).toFixed(2) + '  frames ' + t.frames() +
      '  seeking ' + v.seeking + '  errors ' + t.errors.join(',')
  }, 200)
</script>`

describe('gateway: /hls/ for a file a browser cannot play', () => {
  let dir, tracker, transmission, shoal, base, film, hlsBase, noise, probeLog
  const films = {}

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shoal-gateway-hls-'))
    for (const d of ['seed', 'tr']) mkdirSync(path.join(dir, d))
    tracker = await startTracker()
    transmission = await startTransmission(path.join(dir, 'tr'), path.join(dir, 'seed'))
    for (const video of Object.keys(VIDEO)) {
      const file = path.join(dir, 'seed', `${video}-ac3.mkv`)
      makeMkv(file, video)
      films[video] = makeTorrent(file, tracker.http, path.join(dir, `${video}.torrent`), 64)
      transmission.remote('-a', films[video].torrent, '-w', path.join(dir, 'seed'))
    }
    // Not a film: random bytes with a film's name, which ffprobe cannot read.
    const noiseFile = path.join(dir, 'seed', 'noise.mkv')
    writeFileSync(noiseFile, randomBytes(512 * 1024))
    noise = makeTorrent(noiseFile, tracker.http, path.join(dir, 'noise.torrent'), 64)
    transmission.remote('-a', noise.torrent, '-w', path.join(dir, 'seed'))
    for (const f of [...Object.values(films), noise]) {
      await transmission.seeding(f.infoHash)
      await waitFor('the tracker listing Transmission', () => tracker.seeders(f.infoHash) >= 1)
    }
    film = films.hevc
    // ffprobe through a wrapper that logs each run, to see which answers came from the cache.
    probeLog = path.join(dir, 'ffprobe-runs.log')
    const wrapper = path.join(dir, 'ffprobe')
    writeFileSync(wrapper, `#!/bin/sh\necho "$*" >> '${probeLog}'\nexec ffprobe "$@"\n`)
    chmodSync(wrapper, 0o755)
    // A lead of 8 s (2 segments): the playback tests below play through runs that are paused
    // and resumed as hls.js asks, and the last test watches one run's pacing.
    shoal = await startGatewayServe(dir, ['--gateway-max-transcodes', '3', '--gateway-hls-lead', `${LEAD_SECONDS}`],
      { env: { SHOAL_FFPROBE: wrapper } })
    base = shoal.found
    // The test page beside the (one-line) app, on the companion's origin.
    writeFileSync(path.join(dir, 'dist', 'hls-test.html'), PAGE)
    copyFileSync(path.join(root, 'node_modules/hls.js/dist/hls.min.js'), path.join(dir, 'dist', 'hls.min.js'))
    for (const f of [...Object.values(films), noise]) {
      const added = await fetch(`${base}/api/torrents`, { method: 'POST', body: readFileSync(f.torrent) })
      assert.equal(added.status, 201, await added.text())
    }
    hlsBase = `${base}/hls/${film.infoHash}/0`
  })

  after(async () => {
    if (shoal) await shoal.stop()
    if (transmission) transmission.kill()
    if (tracker) await tracker.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('the playlist lists the whole film in 4 s segments, and bad requests get JSON errors', async () => {
    const res = await fetch(`${hlsBase}/index.m3u8`)
    const text = await res.text()
    assert.equal(res.status, 200, text)
    assert.match(res.headers.get('content-type'), /mpegurl/)
    assert.match(text, /#EXT-X-PLAYLIST-TYPE:VOD/)
    assert.match(text, /#EXT-X-ENDLIST\s*$/)
    // A few AC3 frames past 60 s join the last segment.
    assert.equal((text.match(/#EXTINF:/g) ?? []).length, SECONDS / 4)
    assert.ok((text.match(/#EXTINF:4\.000,/g) ?? []).length >= SECONDS / 4 - 1, text)
    const progress = await (await fetch(`${hlsBase}/progress`)).json()
    assert.equal(progress.mode, 'transcode', JSON.stringify(progress))
    assert.deepEqual([progress.video, progress.audio], ['transcode', 'transcode'])
    assert.equal(progress.segments, SECONDS / 4)

    const cases = [
      [`${base}/hls/${'ab'.repeat(20)}/0/index.m3u8`, 404, /unknown info hash/],
      [`${base}/hls/not-a-hash/0/index.m3u8`, 400, /not an info hash/],
      [`${base}/hls/${film.infoHash}/3/index.m3u8`, 404, /out of range: the torrent has 1 file/],
      [`${hlsBase}/seg-${SECONDS / 4}.ts`, 404, /seg-14\.ts/],
      [`${hlsBase}/seg-x.ts`, 404, /no "seg-x.ts" here/]
    ]
    for (const [url, status, message] of cases) {
      const r = await fetch(url)
      const body = await r.json()
      assert.equal(r.status, status, `${url}: ${JSON.stringify(body)}`)
      assert.match(body.error, message, url)
    }
  })

  test('a file ffprobe cannot read gets 422 with the reason, and a retry is answered without probing again', async () => {
    const url = `${base}/hls/${noise.infoHash}/0/index.m3u8`
    const runs = () => existsSync(probeLog)
      ? readFileSync(probeLog, 'utf8').split('\n').filter(l => l.includes(noise.infoHash)).length
      : 0
    // Until a peer sent the file's ends the gateway answers 503 with Retry-After, as a player
    // would be told to wait.
    const waits = []
    const first = await waitFor('an answer other than 503', async () => {
      const r = await fetch(url)
      if (r.status !== 503) return r
      waits.push((await r.json()).error)
      return null
    }, 90_000, 1_000)
    if (waits.length) console.log(`503 ${waits.length} times first, the last: ${waits.at(-1)}`)
    for (const [attempt, r] of [[1, first], [2, await fetch(url)], [3, await fetch(url)]]) {
      const body = await r.json()
      assert.equal(r.status, 422, `attempt ${attempt}: ${JSON.stringify(body)}`)
      assert.match(body.error, /ffprobe cannot read the file/, `attempt ${attempt}`)
    }
    assert.equal(runs(), 1, 'ffprobe ran once for the three requests')
  })

  test('a segment asked for far ahead starts a run there, at the film\'s time', async () => {
    const n = 10
    const res = await fetch(`${hlsBase}/seg-${n}.ts`)
    const bytes = Buffer.from(await res.arrayBuffer())
    assert.equal(res.status, 200, String(bytes.subarray(0, 300)))
    assert.equal(res.headers.get('content-type'), 'video/mp2t')
    const seg = path.join(dir, 'seg.ts')
    writeFileSync(seg, bytes)
    const probe = runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', seg])
    const info = JSON.parse(probe.stdout)
    const codecs = info.streams.map(s => s.codec_name).sort()
    assert.deepEqual(codecs, ['aac', 'h264'])
    // Segment 10 starts at 40 s of the film (MPEG-TS adds its own small start offset).
    const start = Number(info.format.start_time)
    assert.ok(start >= 40 && start < 42, `segment ${n} starts at ${start} s`)
    const progress = await (await fetch(`${hlsBase}/progress`)).json()
    assert.ok(progress.runs.some(r => r.from === n), JSON.stringify(progress))
    assert.ok(progress.segmentsReady >= 1 && progress.percent > 0, JSON.stringify(progress))
  })

  /** Plays `hlsBase`'s playlist in Chromium with hls.js, seeks to 70 %, sees frames after it. */
  async function playsAndSeeks (hlsBase, shot) {
    const browser = await launchBrowser()
    try {
      const src = encodeURIComponent(`${hlsBase}/index.m3u8`)
      const { page, errors } = await openPage(browser.context, `${base}/hls-test.html?src=${src}`)
      const state = () => page.evaluate(() => {
        const v = document.getElementById('v')
        return { time: v.currentTime, duration: v.duration, seeking: v.seeking, frames: window.t.frames(), fatal: window.t.fatal, errors: window.t.errors }
      })
      await waitFor('playback past 2 s', async () => {
        const s = await state()
        if (s.fatal) throw new Error(`hls.js: ${s.fatal}`)
        return s.time > 2
      }, 180_000)
      const before = await state()
      assert.ok(Math.abs(before.duration - SECONDS) < 1, `duration ${before.duration}`)
      const target = before.duration * 0.7
      await page.evaluate(at => { document.getElementById('v').currentTime = at }, target)
      await waitFor('the seek done', async () => !(await state()).seeking, 180_000)
      const seeked = await state()
      await waitFor('frames after the seek', async () => {
        const s = await state()
        if (s.fatal) throw new Error(`hls.js: ${s.fatal}`)
        return s.time > target + 2 && s.frames > seeked.frames + 24
      }, 180_000)
      const after = await state()
      assert.ok(after.time >= target && after.time < SECONDS, JSON.stringify(after))
      await screenshot(page, shot)
      assert.equal(after.fatal, null)
      assert.deepEqual(errors.map(String), [])
    } catch (e) {
      process.stderr.write(`shoal serve's log:\n${shoal.stderr().slice(-4000)}\n`)
      throw e
    } finally {
      await browser.close()
    }
  }

  test('Chromium plays the HEVC + AC3 MKV with hls.js, seeks to 70 % and frames play after the seek', async () => {
    await playsAndSeeks(hlsBase, 'gateway-hls-after-seek')
    // A run from the start served the beginning; after the seek the segments come from the
    // run the far request started at 40 s (the latest start that covers them), unless it was
    // released meanwhile (30 s idle on a slow machine) — then from a run that covers them.
    const progress = await (await fetch(`${hlsBase}/progress`)).json()
    console.log('runs after the seek:', JSON.stringify(progress.runs))
    assert.ok(progress.runs.some(r => r.from === 0), JSON.stringify(progress))
  })

  test('the app sends an MKV it cannot play through its streaming server\'s /hls/ and plays it', async () => {
    // The built app, served by a companion of its own (its default streaming server).
    const appDir = path.join(dir, 'app')
    for (const d of ['library', 'cache', 'gateway']) mkdirSync(path.join(appDir, d), { recursive: true })
    const app = await spawnShoal(['serve', '--listen', '127.0.0.1:0', '--dist', process.env.SHOAL_DIST ?? path.join(root, 'dist'),
      '--library', path.join(appDir, 'library'), '--cache-dir', path.join(appDir, 'cache'), '--no-webrtc',
      '--gateway-peer-listen', '127.0.0.1:0', '--gateway-dir', path.join(appDir, 'gateway')], {
      ready: /open (http:\/\/127\.0\.0\.1:\d+)\//, what: 'shoal serve (app)', timeoutMs: 60_000
    })
    const browser = await launchBrowser()
    try {
      const { page, errors } = await openPage(browser.context, `${app.found}/settings`)
      // Loopback only: no public trackers, no STUN.
      await page.evaluate(() => localStorage.setItem('shoal.settings', JSON.stringify({ trackers: [], ice_servers: [] })))
      const magnet = `magnet:?xt=urn:btih:${films.hevc.infoHash}&tr=${encodeURIComponent(tracker.http)}`
      await page.goto(`${app.found}/play?src=${encodeURIComponent(magnet)}`)
      // No WebRTC peer: the metadata comes through the gateway; the MKV is not playable here,
      // so the player asks the gateway for /hls/ and plays that.
      await page.getByTestId('player-converted').waitFor({ timeout: 120_000 })
      const note = await page.getByTestId('player-converted').textContent()
      assert.match(note, new RegExp(`/hls/${films.hevc.infoHash}/0/index\\.m3u8`))
      const video = '[data-testid=watch-video]'
      await page.waitForFunction(v => document.querySelector(v)?.currentTime > 1, video, { timeout: 180_000 })
      await page.evaluate(v => { const e = document.querySelector(v); e.currentTime = e.duration * 0.7 }, video)
      await page.waitForFunction(v => {
        const e = document.querySelector(v)
        return !e.seeking && e.currentTime > e.duration * 0.7 + 2
      }, video, { timeout: 180_000 })
      await screenshot(page, 'gateway-hls-app')
      assert.deepEqual(errors.map(String).filter(e => !/favicon/.test(e)), [])
    } catch (e) {
      const page = browser.context.pages().at(-1)
      if (page) {
        await screenshot(page, 'gateway-hls-app-failed')
        process.stderr.write(`the page said: ${(await page.textContent('body')).slice(0, 2000)}\n`)
      }
      throw e
    } finally {
      await browser.close()
      await app.stop()
    }
  })

  test('the H.264 + AC3 MKV keeps its video, gets AAC audio, plays and seeks', async () => {
    const h264 = `${base}/hls/${films.h264.infoHash}/0`
    const playlist = await fetch(`${h264}/index.m3u8`)
    assert.equal(playlist.status, 200, await playlist.text())
    const progress = await (await fetch(`${h264}/progress`)).json()
    assert.deepEqual([progress.mode, progress.video, progress.audio], ['audio', 'copy', 'transcode'], JSON.stringify(progress))
    await playsAndSeeks(h264, 'gateway-hls-audio-after-seek')
  })

  test('a run pauses once it is the lead ahead of its viewers, resumes as they ask, and deletes what they left behind', async () => {
    const hevc = `${base}/hls/${film.infoHash}/0`
    const runs = async () => (await (await fetch(`${hevc}/progress`)).json()).runs
    // The playback tests' runs are released once idle for 30 s: one run at a time here.
    await waitFor('the earlier runs released', async () => (await runs()).length === 0, 90_000)
    const get = async n => {
      const r = await fetch(`${hevc}/seg-${n}.ts`)
      assert.equal(r.status, 200, `seg-${n}: ${(await r.text()).slice(0, 300)}`)
      await r.arrayBuffer().catch(() => {})
    }
    await get(0)
    const mine = async () => {
      const all = await runs()
      assert.equal(all.length, 1, JSON.stringify(all))
      return all[0]
    }
    let run = await mine()
    const seen = []
    await waitFor('the run paused', async () => {
      run = await mine()
      seen.push(`${run.written}${run.paused ? 'p' : ''}`)
      assert.ok(run.running || run.paused, `the run ended without pausing: ${seen.join(' ')}`)
      return run.paused
    }, 60_000, 50)
    console.log(`paused at ${run.written} written (lead ${LEAD}); looks: ${seen.join(' ')}`)
    assert.ok(run.written < SECONDS / 4, `paused before the end of the film: ${JSON.stringify(run)}`)
    // A viewer asks on: the run resumes and writes further.
    const last = 9
    for (let n = 1; n <= last; n++) {
      await get(n)
    }
    run = await mine()
    assert.ok(run.written > last, JSON.stringify(run))
    // What is more than the lead behind the furthest segment asked is deleted.
    await waitFor('segments behind deleted', async () => (run = await mine()).keptFrom === last - LEAD, 10_000, 50)
    const files = readdirSync(path.join(dir, 'gateway', 'hls', run.folder)).filter(f => /^seg-\d+\.ts$/.test(f))
    const kept = files.map(f => Number(/\d+/.exec(f)[0])).sort((a, b) => a - b)
    assert.ok(kept.length > 0 && kept[0] === last - LEAD, `on disk: ${kept.join(',')}`)
    // And once ahead again, it pauses again (unless it wrote the film's end first).
    await waitFor('paused again or done', async () => { run = await mine(); return run.paused || !run.running }, 60_000, 50)
    assert.ok(run.paused || run.written === SECONDS / 4, JSON.stringify(run))
  })
})
