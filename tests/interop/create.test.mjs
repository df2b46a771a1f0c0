// `shoal create` against npm create-torrent: same input and options must give the same info hash.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import createTorrent from 'create-torrent'
import parseTorrent from 'parse-torrent'
import { root, runShoal } from '../support/shoal.mjs'

const fixtures = path.join(root, 'node_modules/webtorrent-fixtures/fixtures')
let scratch

before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'shoal-create-'))
  // A folder with the awkward cases: nested folders, an empty file, a file exactly one piece
  // long, non-ASCII names, and junk files that create-torrent leaves out.
  const tree = path.join(scratch, 'mixed')
  mkdirSync(path.join(tree, 'b', 'deep'), { recursive: true })
  mkdirSync(path.join(tree, 'A'), { recursive: true })
  let seed = 7
  const bytes = n => Buffer.from(Array.from({ length: n }, () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 24 }))
  writeFileSync(path.join(tree, 'b', 'deep', 'clip.mp4'), bytes(100_000))
  writeFileSync(path.join(tree, 'A', 'one-piece.bin'), bytes(16_384))
  writeFileSync(path.join(tree, 'empty.txt'), '')
  writeFileSync(path.join(tree, 'ünïcødé 名前.txt'), 'hello\n')
  writeFileSync(path.join(tree, 'z.txt'), bytes(3))
  writeFileSync(path.join(tree, '.DS_Store'), 'junk')
  writeFileSync(path.join(tree, 'Thumbs.db'), 'junk')
  writeFileSync(path.join(tree, '.hidden'), 'hidden')
})

after(() => rmSync(scratch, { recursive: true, force: true }))

function viaCreateTorrent (input, opts) {
  return new Promise((resolve, reject) => {
    createTorrent(input, opts, (err, buf) => err ? reject(err) : resolve(buf))
  })
}

async function compare (input, { name, pieceLength, announce = [], webseeds = [], isPrivate = false } = {}) {
  const opts = { announceList: announce.map(a => [a]), urlList: webseeds }
  if (isPrivate) opts.private = true
  if (name) opts.name = name
  if (pieceLength) opts.pieceLength = pieceLength
  const reference = await parseTorrent(await viaCreateTorrent(input, opts))

  const out = path.join(scratch, `out-${Math.random().toString(16).slice(2)}.torrent`)
  const args = ['create', input, '-o', out]
  if (name) args.push('--name', name)
  if (pieceLength) args.push('--piece-length', String(pieceLength))
  for (const a of announce) args.push('--announce', a)
  for (const w of webseeds) args.push('--webseed', w)
  if (isPrivate) args.push('--private')
  const r = runShoal(args)
  assert.equal(r.status, 0, r.stderr)
  const ours = await parseTorrent(readFileSync(out))

  assert.equal(ours.infoHash, reference.infoHash, `info hash of ${input} ${JSON.stringify(opts)}`)
  assert.equal(ours.pieceLength, reference.pieceLength)
  assert.deepEqual(ours.files.map(f => f.path), reference.files.map(f => f.path))
  assert.deepEqual(ours.announce, reference.announce)
  assert.deepEqual(ours.urlList, reference.urlList)
  // stdout is the magnet link of what was made.
  const magnet = await parseTorrent(r.stdout.trim())
  assert.equal(magnet.infoHash, reference.infoHash)
  return ours
}

test('a single file, default options', () => compare(path.join(fixtures, 'alice.txt')))

test('a single binary file', () => compare(path.join(fixtures, 'Leaves of Grass by Walt Whitman.epub')))

test('a folder with nested folders', () => compare(path.join(fixtures, 'lots-of-numbers')))

test('a folder, with name, piece length, trackers and web seeds given', () =>
  compare(path.join(fixtures, 'numbers'), {
    name: 'renamed numbers',
    pieceLength: 32768,
    announce: ['wss://tracker.example.com', 'udp://tracker.example.org:1337'],
    webseeds: ['https://example.com/seed/']
  }))

test('a private torrent', async () => {
  const ours = await compare(path.join(fixtures, 'alice.txt'), { isPrivate: true })
  assert.equal(ours.private, true)
})

test('junk files, empty files, unicode names and piece boundaries', async () => {
  const ours = await compare(path.join(scratch, 'mixed'), { pieceLength: 16384 })
  assert.ok(!ours.files.some(f => /\.DS_Store|Thumbs\.db|\.hidden/.test(f.path)), 'junk left out')
})

test('bad input exits 2 with one line on stderr', () => {
  const missing = runShoal(['create', path.join(scratch, 'nope'), '-o', path.join(scratch, 'x.torrent')])
  assert.equal(missing.status, 2, missing.stderr)
  assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr)
  const badPiece = runShoal(['create', path.join(fixtures, 'alice.txt'), '--piece-length', '1000', '-o', path.join(scratch, 'y.torrent')])
  assert.equal(badPiece.status, 2, badPiece.stderr)
  assert.equal(badPiece.stderr.trim().split('\n').length, 1, badPiece.stderr)
})
