import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atWorkerExit } from './processes.js';

const unregister = new Map<string, () => void>();

/**
 * A fresh directory under the system temp dir. Remove it with `removeTempDir` on teardown; if the
 * worker exits or is interrupted first, it is removed then.
 */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  unregister.set(
    dir,
    atWorkerExit(() => rmSync(dir, { recursive: true, force: true })),
  );
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  unregister.get(dir)?.();
  unregister.delete(dir);
  await rm(dir, { recursive: true, force: true });
}
