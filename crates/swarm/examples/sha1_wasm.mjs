// Times sha1_mib(16) (16 MiB of SHA-1) in the wasm build; prints the median of 11 runs.
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { sha1_mib } = require(process.argv[2]);
sha1_mib(16); // warm-up
const runs = [];
for (let i = 0; i < 11; i++) {
  const t = performance.now();
  sha1_mib(16);
  runs.push(performance.now() - t);
}
runs.sort((a, b) => a - b);
const ms = runs[5];
console.log(`wasm sha1_smol: 16 MiB in ${ms.toFixed(1)} ms median = ${(16 / (ms / 1000)).toFixed(0)} MiB/s`);
