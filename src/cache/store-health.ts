import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreKind } from './stores.js';

/**
 * A D-Bus keychain that failed (locked collection, no keyring daemon, a refused prompt) costs
 * 100–160 ms per attempt, and on a desktop a locked one may show an unlock prompt. So a failure is
 * remembered for a while and the store is skipped without touching it; `doctor` and `cache clear`
 * forget it. keyutils needs no memory: it fails in a syscall.
 */
export const STORE_DOWN_MS = 5 * 60_000;

export interface StoreDown {
  readonly store: StoreKind;
  readonly reason: string;
  readonly until: number;
}

export function storeDownPath(cacheDir: string, store: StoreKind): string {
  return join(cacheDir, `${store}-down.json`);
}

/** Why `store` is being skipped right now, or undefined. */
export function storeDown(cacheDir: string, store: StoreKind, now = Date.now()): StoreDown | undefined {
  if (store === 'keyutils') return undefined;
  try {
    const value = JSON.parse(readFileSync(storeDownPath(cacheDir, store), 'utf8')) as Partial<StoreDown>;
    if (typeof value.reason !== 'string' || typeof value.until !== 'number' || now >= value.until) return undefined;
    return { store, reason: value.reason, until: value.until };
  } catch {
    return undefined;
  }
}
