// Starts `shoal seed FILE --tracker URL` and resolves with the magnet link it prints once the
// file is verified and the WebRTC peer is ready. The caller must `await seeder.stop()`.
import { spawn } from 'node:child_process'
import { shoalBin } from './shoal.mjs'

export async function startSeed (file, trackerUrl, extraArgs = []) {
  const child = spawn(shoalBin, ['seed', file, '--tracker', trackerUrl, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' }
  })
  let stderr = ''
  child.stderr.on('data', d => { stderr += d })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    const exited = new Promise(resolve => child.once('exit', code => resolve(code)))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000)
    const code = await exited
    clearTimeout(timer)
    return code
  }
  try {
    const magnet = await new Promise((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => reject(new Error(`shoal seed printed no magnet in 60 s: ${stderr}`)), 60_000)
      child.stdout.on('data', d => {
        out += d
        const m = out.match(/^(magnet:\?\S+)$/m)
        if (m) { clearTimeout(timer); resolve(m[1]) }
      })
      child.on('exit', code => { clearTimeout(timer); reject(new Error(`shoal seed exited with ${code}: ${stderr}`)) })
    })
    return { magnet, child, stderr: () => stderr, stop }
  } catch (err) {
    await stop()
    throw err
  }
}
