import type { Credential, Logger } from '../../providers/types.js';
import type { CachePolicy } from '../config/types.js';
import { formatMs } from '../deadline.js';
import { ProviderError } from '../errors.js';
import { APP_NAME } from '../paths.js';
import type { CachedEntry, CredentialCache } from './cache.js';
import { freshness, makeEnvelope } from './envelope.js';
import { formatAge } from './format.js';
import { type EntryIdentity, rememberDownStores, removeEntry, writeEntry, writeRecord } from './entry-writer.js';
import { lockEntry } from './lock.js';
import { readRecord } from './records.js';

/**
 * The cache's slow path, loaded only on a miss or a due refresh: single-flight across processes,
 * then the backend, then the entry. It holds the lock library and the atomic file writer, which
 * a cache hit never loads.
 */
export interface FillRequest {
  readonly cache: CredentialCache;
  readonly id: EntryIdentity;
  readonly policy: CachePolicy;
  /** The route's deadline: also the longest wait for another process's fetch. */
  readonly waitMs: number;
  /** What the hot path read: an entry due for refresh, or undefined. */
  readonly previous: CachedEntry | undefined;
  /** The provider call, under its own deadline. undefined: not found. */
  readonly fetch: () => Promise<Credential | undefined>;
  readonly log: Logger;
  readonly describeError: (error: unknown) => string;
}

export type CachedAnswer = { readonly username: string; readonly secret: string; readonly expiresAt?: number } | undefined;

/**
 * Answers a `get` through the cache: N processes asking for one missing entry make one backend
 * call and all get its answer. Under the entry's lock, a process that had to wait reads the cache
 * again (the holder filled it) or takes the holder's failure if it failed while we waited. When
 * the backend fails, an entry past refreshAfter but within staleIfError is served with a note.
 */
export async function fillEntry(request: FillRequest): Promise<CachedAnswer> {
  const { cache, id, policy, log } = request;
  // Each keychain call gets the route's deadline of its own: a long lock wait must not starve the write.
  const io = request.waitMs;
  const waitStart = Date.now();
  let latest = request.previous;
  const held = await lockEntry(cache.dir, id.account, request.waitMs).catch((error: unknown) => {
    // No lock directory (read-only home): correctness does not need the lock, only economy.
    log.debug('cache.lock-unavailable', { reason: request.describeError(error) });
    return null;
  });
  try {
    if (held === undefined) {
      latest = await cache.read(id.account, io);
      if (latest !== undefined && freshness(latest.envelope, policy, Date.now())?.state === 'fresh') return answer(latest);
      const waited = new ProviderError(
        `timed out after ${formatMs(request.waitMs)} waiting for another ${APP_NAME} process to fetch ${id.registry}`,
      );
      return staleOrThrow(request, waited, latest);
    }
    // Always look again once the lock is ours, not only when we had to wait for it: another process
    // may have filled the entry and released the lock between our miss and our taking the lock.
    if (held !== null) {
      latest = await cache.read(id.account, io);
      if (latest !== undefined && freshness(latest.envelope, policy, Date.now())?.state === 'fresh') {
        log.debug('cache.filled-by-other', { key: id.registry, waited: held.contended });
        return answer(latest);
      }
      const failure = readRecord(cache.dir, id.account)?.failure;
      if (failure !== undefined && failure.at >= waitStart) return staleOrThrow(request, new ProviderError(failure.message), latest);
    }
    let found: Credential | undefined;
    try {
      found = await request.fetch();
    } catch (error) {
      const entry = readRecord(cache.dir, id.account)?.entry;
      await writeRecord(cache.dir, { ...id, entry, failure: { at: Date.now(), message: request.describeError(error) } }).catch(() => {});
      return staleOrThrow(request, error, latest);
    }
    const envelope = makeEnvelope(id.provider, found, policy, Date.now());
    if (envelope === undefined) {
      // Not cacheable (too close to its expiry, or negative caching off): an older entry must not outlive this answer.
      await removeEntry(cache, id.account, io);
    } else {
      const store = await writeEntry(cache, id, envelope, io);
      log.debug(store === undefined ? 'cache.uncached' : 'cache.written', {
        key: id.registry,
        store,
        negative: envelope.credential === undefined,
      });
    }
    return found === undefined ? undefined : { username: found.username, secret: found.secret, expiresAt: found.expiresAt };
  } finally {
    await held?.release();
    if (cache.failed.size > 0) await rememberDownStores(cache);
  }
}

function answer(entry: CachedEntry): CachedAnswer {
  const credential = entry.envelope.credential;
  return credential === undefined
    ? undefined
    : { username: credential.username, secret: credential.secret, expiresAt: entry.envelope.expiresAt };
}

function staleOrThrow(request: FillRequest, error: unknown, latest: CachedEntry | undefined): CachedAnswer {
  const now = Date.now();
  const state = latest === undefined ? undefined : freshness(latest.envelope, request.policy, now);
  if (latest !== undefined && state?.state === 'refresh' && state.staleOk) {
    const age = formatAge(now - latest.envelope.fetchedAt);
    const left = formatAge(latest.envelope.expiresAt - now);
    request.log.note(
      `${request.describeError(error)}; serving the cached credential for ${request.id.registry} fetched ${age} ago (stale-if-error; it expires in ${left})`,
    );
    return answer(latest);
  }
  throw error;
}

/** For keychain calls outside a `get` (store, erase): no route deadline applies there. */
const KEYCHAIN_TIMEOUT_MS = 5_000;

/** For a `get` that found no usable store: the D-Bus stores that failed are skipped for a while. */
export { rememberDownStores };

/** After `store` went to the backend: the cache holds what the backend now holds. */
export async function putEntry(cache: CredentialCache, id: EntryIdentity, policy: CachePolicy, credential: Credential): Promise<void> {
  const envelope = makeEnvelope(id.provider, credential, policy, Date.now());
  if (envelope === undefined) await removeEntry(cache, id.account, KEYCHAIN_TIMEOUT_MS);
  else await writeEntry(cache, id, envelope, KEYCHAIN_TIMEOUT_MS);
}

/** After `erase`: the entry is gone from every store. */
export async function dropEntry(cache: CredentialCache, account: string): Promise<void> {
  await removeEntry(cache, account, KEYCHAIN_TIMEOUT_MS);
}
