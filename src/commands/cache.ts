import { CredentialCache } from '../cache/cache.js';
import { forgetDownStores, removeEntry, removeRecord } from '../cache/entry-writer.js';
import { formatAge } from '../cache/format.js';
import { secretServiceLocked } from '../cache/probe.js';
import { type EntryRecord, listRecords } from '../cache/records.js';
import { keychain } from '../cache/stores.js';
import { loadConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { cacheDir, type Env } from '../paths.js';
import { normalizeServerUrl } from '../server-url.js';

const USAGE = 'usage: cache list | cache clear [server-url]';

/**
 * `cache list`: every entry the index knows — registry, provider, store, age, when it is refreshed
 * and when it expires; never a secret (the index holds none and the keychain is not read).
 * `cache clear [server-url]`: removes every entry, or those of one registry, from the keychain.
 */
export async function run(args: string[], env: Env): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'list' && rest.length === 0) return list(env);
  if (sub === 'clear' && rest.length <= 1) return clear(env, rest[0]);
  throw new UsageError(USAGE, { exitCode: 2 });
}

function list(env: Env): number {
  const now = Date.now();
  const rows = listRecords(cacheDir(env))
    .filter((record) => record.entry !== undefined)
    .map((record) => row(record, now));
  if (rows.length === 0) {
    process.stdout.write('no cache entries\n');
    return 0;
  }
  const header = ['REGISTRY', 'PROVIDER', 'KIND', 'STORE', 'AGE', 'REFRESH IN', 'EXPIRES IN'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  process.stdout.write(`${[format(header), ...rows.map(format)].join('\n')}\n`);
  return 0;
}

function row(record: EntryRecord, now: number): string[] {
  const entry = record.entry;
  if (entry === undefined) return [];
  const until = (at: number) => (now >= at ? '-' : formatAge(at - now));
  return [
    record.registry,
    record.provider,
    entry.negative ? 'not-found' : 'credential',
    entry.store,
    formatAge(now - entry.fetchedAt),
    entry.negative ? '-' : until(entry.refreshAfter),
    now >= entry.expiresAt ? 'expired' : formatAge(entry.expiresAt - now),
  ];
}

async function clear(env: Env, serverURL: string | undefined): Promise<number> {
  const key = serverURL === undefined ? undefined : normalizeServerUrl(serverURL).key;
  const { config } = await loadConfig(env);
  const dir = cacheDir(env);
  // With the cache off in the config, entries written before still go: clear is about what exists.
  const cache = new CredentialCache(config.cacheStore === 'off' ? 'auto' : config.cacheStore, env, dir, { note() {}, debug() {} });
  let removed = 0;
  for (const record of listRecords(dir)) {
    if (key !== undefined && record.registry !== key) continue;
    if (record.entry !== undefined) {
      await removeEntry(cache, record.account, 5_000);
      removed++;
    } else {
      removeRecord(dir, record.account);
    }
  }
  if (key === undefined) {
    removed += await sweepSecretService(cache, env);
    forgetDownStores(dir);
  }
  process.stdout.write(`removed ${removed} cache ${removed === 1 ? 'entry' : 'entries'}${key === undefined ? '' : ` for ${key}`}\n`);
  return 0;
}

/** Entries the index lost track of, in the one store that can list them; never when it is locked (that could prompt). */
async function sweepSecretService(cache: CredentialCache, env: Env): Promise<number> {
  if (!cache.plan.stores.includes('secret-service') || secretServiceLocked(env) !== false) return 0;
  let removed = 0;
  try {
    for (const account of await keychain.accounts('secret-service', 5_000)) {
      if (await keychain.delete('secret-service', account, 5_000)) removed++;
    }
  } catch {
    // best effort: the indexed entries are gone already
  }
  return removed;
}
