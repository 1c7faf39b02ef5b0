import { mkdirSync, rmSync } from 'node:fs';
import writeFileAtomic from 'write-file-atomic';
import type { CredentialCache } from './cache.js';
import type { Envelope } from './envelope.js';
import { type EntryRecord, listRecords, readRecord, recordPath, recordsDir } from './records.js';
import { STORE_DOWN_MS, storeDownPath } from './store-health.js';
import { isQuotaError, keychain, type StoreKind } from './stores.js';

/**
 * Writing entries: the keychain value first, then its index record, each replaced atomically
 * (keychains replace a value in one call; files are written to a temporary and renamed), so a
 * process killed at any point leaves the old entry or the new one, never a torn one.
 */
export interface EntryIdentity {
  readonly account: string;
  readonly registry: string;
  readonly provider: string;
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export async function writeRecord(cacheDir: string, record: EntryRecord): Promise<void> {
  ensureDir(recordsDir(cacheDir));
  await writeFileAtomic(recordPath(cacheDir, record.account), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export function removeRecord(cacheDir: string, account: string): void {
  try {
    rmSync(recordPath(cacheDir, account), { force: true });
  } catch {
    // a read-only cache directory: a stale record only makes the next reader look once more
  }
}

/**
 * Stores the envelope in the first store that takes it and records where; returns that store, or
 * undefined when none could (then the run is simply uncached). A full keyutils quota (20,000 bytes
 * for non-root users) first drops expired entries, then falls through to Secret Service.
 */
export async function writeEntry(
  cache: CredentialCache,
  id: EntryIdentity,
  envelope: Envelope,
  timeoutMs: number,
): Promise<StoreKind | undefined> {
  const value = JSON.stringify(envelope);
  const previous = readRecord(cache.dir, id.account);
  for (const store of cache.usableStores()) {
    try {
      await setWithQuotaRetry(cache, store, id.account, value, timeoutMs);
      // Where keys cannot reach the persistent keyring (see stores.ts), keyutils can take a write that
      // no later read finds: a syscall's worth of checking keeps such a store out.
      if (store === 'keyutils' && (await keychain.get(store, id.account, timeoutMs)) !== value)
        throw new Error('AccessDenied: written but not readable back');
    } catch (error) {
      cache.fail(store, error);
      // keyutils may have added the key before failing to link it: drop it.
      // Not for a D-Bus store: a locked one would be asked to unlock for nothing.
      if (store === 'keyutils') await keychain.delete(store, id.account, timeoutMs).catch(() => false);
      continue;
    }
    const old = previous?.entry?.store;
    if (old !== undefined && old !== store) await keychain.delete(old, id.account, timeoutMs).catch(() => false);
    try {
      await writeRecord(cache.dir, {
        ...id,
        entry: {
          store,
          fetchedAt: envelope.fetchedAt,
          refreshAfter: envelope.refreshAfter,
          expiresAt: envelope.expiresAt,
          negative: envelope.credential === undefined,
        },
      });
    } catch (error) {
      // A read-only cache directory: the keychain entry still answers where it is read directly
      // (the first store); `cache list` will not show it. Never a reason to fail a get.
      cache.log.debug('cache.index-unwritable', { reason: (error as { code?: string }).code ?? 'error' });
    }
    return store;
  }
  await rememberDownStores(cache);
  // Nothing holds it now: the index must not claim otherwise (the next reader would take it for lost).
  if (previous?.entry !== undefined) removeRecord(cache.dir, id.account);
  return undefined;
}

async function setWithQuotaRetry(
  cache: CredentialCache,
  store: StoreKind,
  account: string,
  value: string,
  timeoutMs: number,
): Promise<void> {
  try {
    await keychain.set(store, account, value, timeoutMs);
  } catch (error) {
    if (store !== 'keyutils' || !isQuotaError(error)) throw error;
    if ((await pruneExpired(cache, timeoutMs)) === 0) throw error;
    await keychain.set(store, account, value, timeoutMs);
  }
}

/**
 * Entries past their expiry still take kernel memory (the persistent keyring keeps them for days):
 * removed here when the quota is full. Returns how many went.
 */
async function pruneExpired(cache: CredentialCache, timeoutMs: number): Promise<number> {
  const now = Date.now();
  let removed = 0;
  for (const record of listRecords(cache.dir)) {
    if (record.entry?.store !== 'keyutils' || record.entry.expiresAt > now) continue;
    if (await keychain.delete('keyutils', record.account, timeoutMs).catch(() => false)) removed++;
    removeRecord(cache.dir, record.account);
  }
  return removed;
}

/**
 * Removes an entry and its record. keyutils is always asked (a syscall); a D-Bus store only when
 * the record says it holds the entry or it is the only store, so invalidation never wakes a
 * locked keyring for nothing. Never throws for a store.
 */
export async function removeEntry(cache: CredentialCache, account: string, timeoutMs: number): Promise<void> {
  const recorded = readRecord(cache.dir, account)?.entry?.store;
  const planned = cache.usableStores();
  const stores = planned.filter((store) => store === 'keyutils' || store === recorded || planned.length === 1);
  for (const store of stores) {
    try {
      await keychain.delete(store, account, timeoutMs);
    } catch (error) {
      cache.fail(store, error);
    }
  }
  removeRecord(cache.dir, account);
}

/** Writes down the D-Bus stores that failed in this run, so the next runs skip them for a while. */
export async function rememberDownStores(cache: CredentialCache): Promise<void> {
  for (const [store, reason] of cache.failed) {
    if (store === 'keyutils') continue;
    try {
      ensureDir(cache.dir);
      await writeFileAtomic(storeDownPath(cache.dir, store), JSON.stringify({ reason, until: Date.now() + STORE_DOWN_MS }), {
        mode: 0o600,
      });
    } catch {
      // only costs the next run one more attempt
    }
  }
}

export function forgetDownStores(cacheDir: string): void {
  for (const store of ['secret-service', 'os'] as const) rmSync(storeDownPath(cacheDir, store), { force: true });
}
