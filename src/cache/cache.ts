import type { Logger } from '../../providers/types.js';
import type { CacheStoreSetting } from '../config/types.js';
import type { Env } from '../paths.js';
import { type Envelope, parseEnvelope } from './envelope.js';
import { readRecord } from './records.js';
import { storeDown } from './store-health.js';
import { keychain, planStores, type StoreKind, type StorePlan, storeErrorReason } from './stores.js';

export interface CachedEntry {
  readonly envelope: Envelope;
  readonly store: StoreKind;
}

/**
 * The cache as the hot path sees it: reading an entry. It loads no provider, no lock library and
 * no config compiler; writing (src/cache/fill.ts) is a separate module loaded on a miss.
 */
export class CredentialCache {
  readonly plan: StorePlan;
  /** Stores that failed in this process, and why: the write path skips them. */
  readonly failed = new Map<StoreKind, string>();

  constructor(
    readonly setting: CacheStoreSetting,
    readonly env: Env,
    readonly dir: string,
    readonly log: Logger,
  ) {
    this.plan = planStores(setting, env);
  }

  /** Stores usable now: planned, not failed in this run, not remembered as down. */
  usableStores(): StoreKind[] {
    return this.plan.stores.filter((store) => !this.failed.has(store) && storeDown(this.dir, store) === undefined);
  }

  /**
   * The entry for `account`, or undefined (none, unreadable, or every store unusable). The first
   * store is asked directly; a later one only when the index says the entry was put there, so a
   * locked Secret Service is never touched for entries it does not hold.
   */
  async read(account: string, timeoutMs: number): Promise<CachedEntry | undefined> {
    const [first, ...others] = this.plan.stores;
    if (first === undefined) return undefined;
    const direct = await this.readFrom(first, account, timeoutMs);
    if (direct !== undefined) return direct;
    const recorded = readRecord(this.dir, account)?.entry;
    if (first === 'keyutils' && recorded?.store === 'keyutils' && recorded.expiresAt > Date.now() && !this.failed.has(first)) {
      // Written by an earlier process, unexpired, yet gone: the writer's keyring died with it (no
      // session keyring, and no persistent keyring reachable: see stores.ts). Do not write there again.
      this.failed.set(first, 'entries do not outlive the process that wrote them (no session or persistent keyring)');
      this.log.debug('cache.store-failed', { store: first, reason: 'entry written earlier is gone' });
    }
    const store = recorded?.store;
    if (store === undefined || store === first || !others.includes(store)) return undefined;
    return this.readFrom(store, account, timeoutMs);
  }

  private async readFrom(store: StoreKind, account: string, timeoutMs: number): Promise<CachedEntry | undefined> {
    if (this.failed.has(store)) return undefined;
    const down = storeDown(this.dir, store);
    if (down !== undefined) {
      this.log.debug('cache.store-skipped', { store, reason: down.reason });
      return undefined;
    }
    let value: string | null;
    try {
      value = await keychain.get(store, account, timeoutMs);
    } catch (error) {
      this.fail(store, error);
      return undefined;
    }
    const envelope = value === null ? undefined : parseEnvelope(value);
    return envelope === undefined ? undefined : { envelope, store };
  }

  fail(store: StoreKind, error: unknown): void {
    const reason = storeErrorReason(error);
    this.failed.set(store, reason);
    this.log.debug('cache.store-failed', { store, reason });
  }
}
