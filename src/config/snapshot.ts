import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../version.js';
import type { BridgeConfig } from './types.js';

/**
 * The compiled config, cached next to nothing but itself, keyed by the config file's identity
 * (path, inode, size, times) and the bridge version. Reading it costs one small JSON parse, where
 * compiling costs cosmiconfig + YAML + schema (~30 ms): that is the whole point of it.
 */
export const SNAPSHOT_FILE = 'config-snapshot.json';
/** Bumped whenever the compiled form changes meaning (2: routes to `local` carry a keyutils-only cache policy). */
const SNAPSHOT_FORMAT = 2;

export interface Snapshot {
  readonly format: number;
  readonly version: string;
  readonly fingerprint: string;
  readonly config: BridgeConfig;
}

export function snapshotPath(cacheDir: string): string {
  return join(cacheDir, SNAPSHOT_FILE);
}

export function makeSnapshot(fingerprint: string, config: BridgeConfig): Snapshot {
  return { format: SNAPSHOT_FORMAT, version: VERSION, fingerprint, config };
}

/** The snapshot's config if it was compiled from exactly this file by this version; else undefined. */
export function readSnapshot(cacheDir: string, fingerprint: string): BridgeConfig | undefined {
  let fd: number;
  try {
    fd = openSync(snapshotPath(cacheDir), 'r');
  } catch {
    return undefined;
  }
  try {
    // Only a snapshot that nobody else could have written stands in for the trusted config.
    const stats = fstatSync(fd);
    const uid = process.getuid?.();
    if (uid !== undefined && (stats.uid !== uid || (stats.mode & 0o077) !== 0)) return undefined;
    const snapshot = JSON.parse(readFileSync(fd, 'utf8')) as Partial<Snapshot>;
    if (snapshot.format !== SNAPSHOT_FORMAT || snapshot.version !== VERSION || snapshot.fingerprint !== fingerprint) {
      return undefined;
    }
    return snapshot.config;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
