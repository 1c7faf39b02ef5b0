import { withDeadline } from '../deadline.js';
import { type Keyring, loadKeyring, sessionBusMissing } from '../keyring.js';
import type { CacheStoreSetting } from '../config/types.js';
import type { Env } from '../paths.js';

/**
 * The keychains a cache entry can live in, through @napi-rs/keyring:
 * - keyutils: the Linux kernel keyring (~0.1 ms a read, per user, in memory only: gone at reboot,
 *   which suits a cache); entries are linked into the user's persistent keyring, so they outlive
 *   their writer even without a session keyring (see `kernel` below); many containers refuse keyctl;
 * - secret-service: gnome-keyring/KWallet over D-Bus (~10 ms: a D-Bus connection per process);
 * - os: the macOS Keychain or Windows Credential Manager.
 */
export type StoreKind = 'keyutils' | 'secret-service' | 'os';

/** One service name for every cache entry, apart from the local store's, so the two never mix in `list`. */
export const CACHE_SERVICE = 'docker-credential-bridge-cache';

/** The stores a setting allows here, in the order entries are written to them, and why others are left out. */
export interface StorePlan {
  readonly stores: readonly StoreKind[];
  /** One line per store the setting would use but cannot (no session bus, wrong platform). */
  readonly skipped: readonly string[];
}

export function planStores(setting: CacheStoreSetting, env: Env, platform: NodeJS.Platform = process.platform): StorePlan {
  if (setting === 'off') return { stores: [], skipped: ['cache.store is off'] };
  if (platform !== 'linux') {
    if (setting === 'auto') return { stores: ['os'], skipped: [] };
    return { stores: [], skipped: [`${setting}: only on Linux`] };
  }
  const busMissing = sessionBusMissing(env);
  const secretService: StorePlan =
    busMissing === undefined ? { stores: ['secret-service'], skipped: [] } : { stores: [], skipped: [`secret-service: ${busMissing}`] };
  if (setting === 'keyutils') return { stores: ['keyutils'], skipped: [] };
  if (setting === 'secret-service') return secretService;
  return { stores: ['keyutils', ...secretService.stores], skipped: secretService.skipped };
}

/** Loaded on the first cache access only (src/keyring.ts). */
const keyring = loadKeyring;

function options(kind: StoreKind): Keyring.EntryOptions | undefined {
  return kind === 'os' ? undefined : { linux: { store: kind } };
}

/**
 * keyutils through the library, in a process with no session keyring of its own (CI jobs, cron,
 * ssh without pam_keyinit, containers that allow keyctl): the library's first call looks in the
 * user-session keyring, where entries are not (it links them into the user's persistent keyring),
 * and as a side effect gives the process a session keyring that holds the persistent one. So the
 * first read and the first delete of such a process miss (or fail), and a first write would leave
 * a key in the user-session keyring that later reads trip over. Hence: a miss is asked again with
 * a fresh Entry, a delete likewise, and a write is preceded by a read. One more syscall on a miss,
 * none on a hit. (A missed delete used to leave an erased credential in the cache.)
 */
/** The first call of a pair: its answer, or `instead` when it throws (the second call decides). */
function firstCall<T>(call: () => T, instead: T): T {
  try {
    return call();
  } catch {
    return instead;
  }
}

const kernel = {
  entry(Entry: typeof Keyring.Entry, account: string): Keyring.Entry {
    return new Entry(CACHE_SERVICE, account, options('keyutils'));
  },
  get(Entry: typeof Keyring.Entry, account: string): string | null {
    return firstCall(() => kernel.entry(Entry, account).getPassword(), null) ?? kernel.entry(Entry, account).getPassword();
  },
  set(Entry: typeof Keyring.Entry, account: string, value: string): void {
    firstCall(() => kernel.entry(Entry, account).getPassword(), null); // only to give the process its session keyring
    kernel.entry(Entry, account).setPassword(value);
  },
  delete(Entry: typeof Keyring.Entry, account: string): boolean {
    return firstCall(() => kernel.entry(Entry, account).deleteCredential(), false) || kernel.entry(Entry, account).deleteCredential();
  },
};

/**
 * Reads, writes and deletes entry values. keyutils goes through the synchronous API (a syscall: no
 * worker thread, no timer). D-Bus and the OS keychains go through the async one, raced against
 * `timeoutMs`: the library cannot interrupt a call already running on its worker thread, so the
 * race is what keeps a hung keyring daemon from hanging `docker pull`. Every failure throws.
 */
export const keychain = {
  async get(kind: StoreKind, account: string, timeoutMs: number): Promise<string | null> {
    const { Entry, AsyncEntry } = await keyring();
    if (kind === 'keyutils') return kernel.get(Entry, account);
    return withDeadline(timeoutMs, 'keychain call', (signal) => new AsyncEntry(CACHE_SERVICE, account, options(kind)).getPassword(signal));
  },
  async set(kind: StoreKind, account: string, value: string, timeoutMs: number): Promise<void> {
    const { Entry, AsyncEntry } = await keyring();
    if (kind === 'keyutils') return kernel.set(Entry, account, value);
    return withDeadline(timeoutMs, 'keychain call', (signal) =>
      new AsyncEntry(CACHE_SERVICE, account, options(kind)).setPassword(value, signal),
    );
  },
  async delete(kind: StoreKind, account: string, timeoutMs: number): Promise<boolean> {
    const { Entry, AsyncEntry } = await keyring();
    if (kind === 'keyutils') return kernel.delete(Entry, account);
    return withDeadline(timeoutMs, 'keychain call', (signal) =>
      new AsyncEntry(CACHE_SERVICE, account, options(kind)).deleteCredential(signal),
    );
  },
  /** Secret Service and the OS keychains only: keyutils entries cannot be listed through the library. */
  async accounts(kind: StoreKind, timeoutMs: number): Promise<string[]> {
    if (kind === 'keyutils') return [];
    const { findCredentialsAsync } = await keyring();
    const found = await withDeadline(timeoutMs, 'keychain call', (signal) => findCredentialsAsync(CACHE_SERVICE, null, signal));
    return found.map((c) => c.account);
  },
};

/** The library's first line names the failure (AccessDenied, QuotaExceeded, a dismissed prompt), never the value. */
export function storeErrorReason(error: unknown): string {
  const message = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
  return message.length > 0 && message.length < 200 ? message : 'keychain call failed';
}

export function isQuotaError(error: unknown): boolean {
  return /quota/i.test(storeErrorReason(error));
}

/** Human name of a store, for explain/doctor/list. */
export function storeLabel(kind: StoreKind): string {
  switch (kind) {
    case 'keyutils':
      return 'keyutils (Linux kernel keyring)';
    case 'secret-service':
      return 'Secret Service (D-Bus)';
    case 'os':
      return process.platform === 'darwin' ? 'macOS Keychain' : process.platform === 'win32' ? 'Windows Credential Manager' : 'OS keychain';
  }
}
