// What the app's WebAssembly holds, by kind of code, for docs/benchmarks.md: raw bytes of the
// function bodies and what removing that kind would save in brotli (quality 11; the rest of the
// code compressed alone, so the figure counts what the kind shares with the rest).
//   scripts/wasm-breakdown.sh   (builds the module with its name section, then runs this)
//   node scripts/wasm-breakdown.mjs NAMED.wasm
// NAMED.wasm must keep its "name" section (wasm-opt -g), or every function is anonymous.
import { readFileSync } from 'node:fs'
import { brotliCompressSync, constants } from 'node:zlib'

const buf = readFileSync(process.argv[2])
let p = 8
const leb = () => {
  let r = 0; let s = 0; let b
  do { b = buf[p++]; r += (b & 0x7f) * 2 ** s; s += 7 } while (b & 0x80)
  return r
}
let imported = 0
const bodies = []
const names = new Map()
let data = 0
while (p < buf.length) {
  const id = buf[p++]
  const len = leb()
  const end = p + len
  if (id === 2) { // imports: count the functions, skip the rest
    for (let n = leb(); n > 0; n--) {
      for (let k = 0; k < 2; k++) { const l = leb(); p += l }
      const kind = buf[p++]
      if (kind === 0) { leb(); imported++ } else if (kind === 1) { p++; if (buf[p++] & 1) { leb() } leb() } else if (kind === 2) { if (buf[p++] & 1) { leb() } leb() } else { p += 2 }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) { const l = leb(); bodies.push(buf.subarray(p, p + l)); p += l }
  } else if (id === 11) {
    data = len
  } else if (id === 0) {
    const l = leb(); const label = buf.subarray(p, p + l).toString(); p += l
    while (label === 'name' && p < end) {
      const sub = buf[p++]; const sl = leb(); const next = p + sl
      if (sub === 1) for (let n = leb(); n > 0; n--) { const i = leb(); const nl = leb(); names.set(i, buf.subarray(p, p + nl).toString()); p += nl }
      p = next
    }
  }
  p = end
}
const br = b => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
const fns = bodies.map((body, i) => ({ body, name: names.get(i + imported) ?? '' }))
const kinds = [
  ['BTreeMap/BTreeSet (one copy per key and value type)', /alloc::collections::btree/],
  ['slice sorting (one copy per element type and comparison)', /core::slice::sort/],
  ['Leptos views and reactivity (tachys, reactive_graph, leptos)', /^<?(tachys|reactive_graph|leptos|either_of)::/],
  ['Leptos router', /leptos_router/],
  ['serde derive code and serde_json', /Deserialize for|Serialize for|Visitor for|deserialize_|serialize_|serde_json|serde_core|serde_wasm_bindgen/],
  ['number and text formatting (core::fmt, floats)', /core::fmt|f64 as core|flt2dec|dec2flt/],
  ['drop glue', /drop_in_place/],
  ['engine: swarm, session, wire, metainfo, bencode, trackers', /shoal_(swarm|session|wire|metainfo|bencode|tracker)/],
  ['browser runtime (peers, trackers, store, HLS loader)', /shoal_runtime/],
  ['app pages and components', /shoal_app/],
  ['add-on protocol (shoal_addon)', /shoal_addon/],
  ['wasm-bindgen, js-sys, web-sys, idb (with the closures and futures they call inlined)', /^<?(wasm_bindgen|wasm_bindgen_futures|js_sys|web_sys|idb)::/]
]
const all = Buffer.concat(fns.map(f => f.body))
const total = br(all)
const kb = n => (n / 1024).toFixed(1)
console.log(`code ${kb(all.length)} KiB raw, ${kb(total)} KiB brotli; data ${kb(data)} KiB raw; ${fns.length} functions`)
console.log('| kind of code | functions | raw KiB | brotli KiB saved without it |')
console.log('|---|---|---|---|')
const taken = new Set()
for (const [what, re] of kinds) {
  const mine = fns.filter(f => !taken.has(f) && re.test(f.name))
  mine.forEach(f => taken.add(f))
  const rest = Buffer.concat(fns.filter(f => !mine.includes(f)).map(f => f.body))
  console.log(`| ${what} | ${mine.length} | ${kb(mine.reduce((a, f) => a + f.body.length, 0))} | ${kb(total - br(rest))} |`)
}
const other = fns.filter(f => !taken.has(f))
console.log(`| everything else (std, alloc, closures, futures) | ${other.length} | ${kb(other.reduce((a, f) => a + f.body.length, 0))} | |`)

// `node scripts/wasm-breakdown.mjs NAMED.wasm --families N`: the N largest families of functions
// by raw size, a family being a name with its generic arguments and hash cut off (so every
// monomorphised copy of one generic function counts together), to find what is copied most.
const families = process.argv.indexOf('--families')
if (families > 0) {
  const strip = name => {
    let out = ''; let depth = 0
    for (const c of name.replace(/::h[0-9a-f]{16}$/, '')) {
      if (c === '<') { depth++; if (depth === 1) out += '<…>' } else if (c === '>') depth = Math.max(0, depth - 1); else if (depth === 0) out += c
    }
    return out
  }
  const by = new Map()
  for (const f of fns) {
    const k = strip(f.name)
    const e = by.get(k) ?? { n: 0, raw: 0 }
    e.n++; e.raw += f.body.length
    by.set(k, e)
  }
  const top = [...by].sort((a, b) => b[1].raw - a[1].raw).slice(0, Number(process.argv[families + 1] ?? 40))
  console.log('| family (generics cut) | copies | raw KiB |')
  console.log('|---|---|---|')
  for (const [k, e] of top) console.log(`| ${k.slice(0, 140)} | ${e.n} | ${kb(e.raw)} |`)
}
