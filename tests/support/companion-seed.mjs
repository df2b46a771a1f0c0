// Starts `shoal seed FILE --tracker URL` and resolves with the magnet link it prints once the
// file is verified and the WebRTC peer is ready. The caller must `await seeder.stop()`.
import { spawnShoal } from './shoal.mjs'

export async function startSeed (file, trackerUrl, extraArgs = []) {
  const proc = await spawnShoal(['seed', file, '--tracker', trackerUrl, ...extraArgs], {
    ready: /^(magnet:\?\S+)$/m, what: 'shoal seed (waiting for its magnet)', timeoutMs: 60_000, log: 'info'
  })
  return { magnet: proc.found, child: proc.child, stderr: proc.stderr, stop: proc.stop }
}
