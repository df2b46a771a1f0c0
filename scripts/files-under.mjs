// Every file under a folder, its subfolders included, as full paths in name order (so what is
// derived from the list, such as the precache version, does not depend on the file system's
// order). Shared by the build hooks and the checks that read a built dist/.
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'

export function filesUnder (folder) {
  return readdirSync(folder).sort().flatMap(name => {
    const full = path.join(folder, name)
    return statSync(full).isDirectory() ? filesUnder(full) : [full]
  })
}
