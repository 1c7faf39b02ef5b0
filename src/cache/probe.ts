import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Env } from '../paths.js';
import { storeDown } from './store-health.js';
import { sessionBusMissing } from '../keyring.js';
import { CACHE_SERVICE, keychain, type StoreKind, storeErrorReason } from './stores.js';

/**
 * Whether each cache store works here, for `explain` and `doctor` (never on the get path). A store
 * is tried with a throw-away entry holding no secret. Secret Service is first asked, through
 * dbus-send, whether its default collection is locked: writing to a locked collection would make
 * gnome-keyring show an unlock prompt on a desktop, and a diagnosis must never do that.
 */
export interface StoreStatus {
  readonly store: StoreKind;
  readonly usable: boolean;
  /** Why not, or a short note on how it was checked. */
  readonly detail: string;
}

/** One fixed name: a keyring that takes writes it cannot delete (see entry-writer.ts) then holds one stray probe, not one per run. */
const PROBE_ACCOUNT = 'probe';

export async function probeStore(store: StoreKind, env: Env, cacheDir: string, timeoutMs = 3_000): Promise<StoreStatus> {
  if (store === 'secret-service') {
    const noBus = sessionBusMissing(env);
    if (noBus !== undefined) return { store, usable: false, detail: noBus };
    const locked = secretServiceLocked(env);
    if (locked === true)
      return { store, usable: false, detail: 'the default collection is locked (unlock it, e.g. by logging in to the desktop)' };
  }
  const down = storeDown(cacheDir, store);
  try {
    await keychain.set(store, PROBE_ACCOUNT, 'probe', timeoutMs);
    const value = await keychain.get(store, PROBE_ACCOUNT, timeoutMs);
    if (value !== 'probe') return { store, usable: false, detail: 'an entry written could not be read back' };
    if (store === 'keyutils' && !readableFromAnotherProcess()) {
      await keychain.delete(store, PROBE_ACCOUNT, timeoutMs).catch(() => false);
      return {
        store,
        usable: false,
        detail: 'entries vanish with the process that wrote them: no session keyring, and the persistent keyring is out of reach (run under a login session, or `keyctl session -`)',
      };
    }
    await keychain.delete(store, PROBE_ACCOUNT, timeoutMs);
    if (store === 'keyutils') {
      const quota = keyutilsQuota();
      const used =
        quota === undefined ? '' : ` (quota: ${quota.bytes} of ${quota.maxBytes} bytes, ${quota.keys} of ${quota.maxKeys} keys used)`;
      // The probe is tiny; a real entry is hundreds of bytes (an ECR token, thousands).
      if (quota !== undefined && (quota.maxBytes - quota.bytes < MIN_FREE_BYTES || quota.maxKeys - quota.keys < 2)) {
        return { store, usable: false, detail: `QuotaExceeded: the per-user kernel key quota is full${used}` };
      }
      return { store, usable: true, detail: `works${used}` };
    }
    return { store, usable: true, detail: down === undefined ? 'works' : `works now (it failed earlier: ${down.reason})` };
  } catch (error) {
    await keychain.delete(store, PROBE_ACCOUNT, timeoutMs).catch(() => false);
    return { store, usable: false, detail: explainStoreError(store, storeErrorReason(error)) };
  }
}

/**
 * Where keys cannot reach the user's persistent keyring (a kernel without it, a seccomp filter), a
 * process without a session keyring writes into a private one that dies with it: in-process the
 * probe reads back fine, yet the next `get` finds nothing. A second process tells the two apart.
 * Only from the built helper (CommonJS, where require.resolve exists).
 */
function readableFromAnotherProcess(): boolean {
  if (typeof require !== 'function') return true;
  // Read as the cache reads (src/cache/stores.ts): a miss is asked again with a fresh Entry.
  const code = `const {Entry}=require(${JSON.stringify(require.resolve('@napi-rs/keyring'))});const read=()=>{try{return new Entry(${JSON.stringify(CACHE_SERVICE)},${JSON.stringify(PROBE_ACCOUNT)},{linux:{store:'keyutils'}}).getPassword()}catch{return null}};process.stdout.write(String(read()??read()))`;
  const child = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 5_000 });
  return child.stdout === 'probe';
}

const MIN_FREE_BYTES = 512;

/** This user's keyutils usage and limits, from /proc/key-users; undefined where it cannot be read. */
export function keyutilsQuota(uid = process.getuid?.()): { keys: number; maxKeys: number; bytes: number; maxBytes: number } | undefined {
  if (uid === undefined) return undefined;
  try {
    // "  <uid>: <usage> <nkeys>/<nikeys> <qnkeys>/<maxkeys> <qnbytes>/<maxbytes>"
    for (const line of readFileSync('/proc/key-users', 'utf8').split('\n')) {
      const m = /^\s*(\d+):\s+\d+\s+\d+\/\d+\s+(\d+)\/(\d+)\s+(\d+)\/(\d+)/.exec(line);
      if (m !== null && Number(m[1]) === uid)
        return { keys: Number(m[2]), maxKeys: Number(m[3]), bytes: Number(m[4]), maxBytes: Number(m[5]) };
    }
  } catch {
    // not Linux, or no /proc
  }
  return undefined;
}

/** The library's reason, with what it means for this store. */
function explainStoreError(store: StoreKind, reason: string): string {
  if (store === 'keyutils' && /AccessDenied/i.test(reason))
    return `${reason}: keyctl refused here (a seccomp profile, as in containers) or no keyring to write to (run under a login session, or \`keyctl session -\`)`;
  if (store === 'keyutils' && /quota/i.test(reason)) {
    const quota = keyutilsQuota();
    return `${reason}: the per-user kernel key quota is full${quota === undefined ? '' : ` (${quota.bytes} of ${quota.maxBytes} bytes, ${quota.keys} of ${quota.maxKeys} keys used)`}`;
  }
  if (/prompt/i.test(reason)) return `${reason}: the keyring is locked`;
  return reason;
}

/**
 * true/false when dbus-send answered, undefined when it could not tell (not installed, no
 * Secret Service on the bus). Asks a property: no method that could prompt.
 */
export function secretServiceLocked(env: Env): boolean | undefined {
  const result = spawnSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--reply-timeout=2000',
      '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets/aliases/default',
      'org.freedesktop.DBus.Properties.Get',
      'string:org.freedesktop.Secret.Collection',
      'string:Locked',
    ],
    { env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 3_000 },
  );
  if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  if (/boolean true/.test(result.stdout)) return true;
  if (/boolean false/.test(result.stdout)) return false;
  return undefined;
}
