import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreKind } from './stores.js';

/**
 * The cache's index: one small JSON file per entry under `<cacheDir>/entries/`, holding no secret
 * (entry name, registry, provider, times, which store). It exists because keyutils entries cannot
 * be listed through the keychain library, and it tells a reader which store holds an entry without
 * asking a D-Bus service that may be locked. One file per entry: writers of different keys never
 * race on a shared file, and each write is atomic (write-file-atomic, in src/cache/fill.ts).
 */
export const RECORDS_DIR = 'entries';

export interface EntryRecord {
  /** The keychain account: `<provider cacheId>/<registry key>`. */
  readonly account: string;
  readonly registry: string;
  readonly provider: string;
  /** Where the entry lives and its times, as written; absent once removed or never written. */
  readonly entry?: {
    readonly store: StoreKind;
    readonly fetchedAt: number;
    readonly refreshAfter: number;
    readonly expiresAt: number;
    readonly negative: boolean;
  };
  /**
   * The last backend failure (a one-line, secret-free message). Processes that waited on the lock
   * while it happened take it as their answer, so a failing backend is asked once, not once each.
   */
  readonly failure?: { readonly at: number; readonly message: string };
}

/** The account of a registry's entry for a provider (see ProviderConfig.cacheId). */
export function cacheAccount(cacheId: string, registryKey: string): string {
  return `${cacheId}/${registryKey}`;
}

export function recordsDir(cacheDir: string): string {
  return join(cacheDir, RECORDS_DIR);
}

/** A file name per account: readable in a listing, reversible, with no path separators. */
export function recordFileName(account: string): string {
  return `${encodeURIComponent(account).replace(/\*/g, '%2A')}.json`;
}

export function recordPath(cacheDir: string, account: string): string {
  return join(recordsDir(cacheDir), recordFileName(account));
}

export function readRecord(cacheDir: string, account: string): EntryRecord | undefined {
  try {
    return parseRecord(readFileSync(recordPath(cacheDir, account), 'utf8'), account);
  } catch {
    return undefined;
  }
}

export function listRecords(cacheDir: string): EntryRecord[] {
  let names: string[];
  try {
    names = readdirSync(recordsDir(cacheDir));
  } catch {
    return [];
  }
  const records: EntryRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue; // write-file-atomic's temporary files
    try {
      const record = parseRecord(readFileSync(join(recordsDir(cacheDir), name), 'utf8'), undefined);
      if (record !== undefined && recordFileName(record.account) === name) records.push(record);
    } catch {
      // removed meanwhile, or torn by hand: not an entry we can speak for
    }
  }
  return records.sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
}

function parseRecord(text: string, account: string | undefined): EntryRecord | undefined {
  const value = JSON.parse(text) as Partial<EntryRecord> | null;
  if (typeof value !== 'object' || value === null || typeof value.account !== 'string') return undefined;
  if (account !== undefined && value.account !== account) return undefined;
  if (typeof value.registry !== 'string' || typeof value.provider !== 'string') return undefined;
  return value as EntryRecord;
}
