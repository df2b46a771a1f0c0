// `shoal info` against npm parse-torrent, on the real .torrent files of npm webtorrent-fixtures.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import parseTorrent from 'parse-torrent'
import { root, runShoal } from '../support/shoal.mjs'

const fixtures = path.join(root, 'node_modules/webtorrent-fixtures/fixtures')
const torrents = readdirSync(fixtures).filter(f => f.endsWith('.torrent'))

test('webtorrent-fixtures holds torrents to compare', () => {
  assert.ok(torrents.length >= 8, `found ${torrents}`)
})

for (const name of torrents) {
  test(`shoal info agrees with parse-torrent on ${name}`, async () => {
    const file = path.join(fixtures, name)
    let expected
    try {
      expected = await parseTorrent(readFileSync(file))
    } catch (error) {
      // parse-torrent refuses it: shoal must refuse it too, as bad input, in one line.
      const r = runShoal(['info', file])
      assert.equal(r.status, 2, `parse-torrent said "${error.message}" but shoal exited ${r.status}: ${r.stdout}`)
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
      return
    }
    const r = runShoal(['info', file])
    assert.equal(r.status, 0, r.stderr)
    const got = JSON.parse(r.stdout)
    assert.equal(got.infoHash, expected.infoHash)
    assert.equal(got.name, expected.name)
    assert.equal(got.pieceLength, expected.pieceLength)
    assert.equal(got.pieceCount, expected.pieces.length)
    assert.equal(got.length, expected.length)
    assert.deepEqual(
      got.files,
      expected.files.map(f => ({ path: f.path, length: f.length, offset: f.offset }))
    )
    assert.deepEqual(got.announce, expected.announce)
    assert.deepEqual(got.urlList, expected.urlList)
    assert.equal(got.private, Boolean(expected.private))
  })
}

test('a magnet link gives its fields, as parse-torrent reads them', async () => {
  const magnet = 'magnet:?xt=urn:btih:d2474e86c95b19b8bcfdb92bc12c9d44667cfa36&dn=Leaves+of+Grass+by+Walt+Whitman.epub' +
    '&tr=udp%3A%2F%2Ftracker.example.org%3A1337&tr=wss%3A%2F%2Ftracker.example.com&ws=https%3A%2F%2Fexample.com%2Fseed%2F&xl=362017'
  const expected = await parseTorrent(magnet)
  const r = runShoal(['info', magnet])
  assert.equal(r.status, 0, r.stderr)
  const got = JSON.parse(r.stdout)
  assert.equal(got.infoHash, expected.infoHash)
  assert.equal(got.name, expected.name)
  assert.deepEqual(got.announce, expected.announce)
  assert.deepEqual(got.urlList, expected.urlList)
  assert.equal(got.length, 362017)
})

test('bad input exits 2 with one line on stderr', () => {
  for (const bad of ['magnet:?dn=no-hash', 'magnet:?xt=urn:btih:abc', path.join(root, 'Cargo.toml'), '/no/such/file.torrent']) {
    const r = runShoal(['info', bad])
    assert.equal(r.status, 2, `${bad}: exit ${r.status} ${r.stdout}`)
    assert.equal(r.stdout, '')
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr)
    assert.match(r.stderr, /^shoal: /)
  }
})
