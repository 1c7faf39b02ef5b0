/**
 * `local` provider: the embedded default, used when there is no config. Credentials are kept
 * encrypted at rest with no setup step: in the OS keychain when it answers, otherwise in an
 * age-encrypted file. `auto` reads both (a credential stored while the keychain was locked is
 * still found) and writes to the keychain when it can.
 */
import { isBridgeError, ProviderError } from '../../src/errors.js';
import type { CacheKind, Credential, ListedCredential, Provider, ProviderContext, ProviderFactory } from '../types.js';
import type { AgeFileStore } from './age-file-store.js';
import { dataFileExists, dataFilePath } from './files.js';
import { keychainUnavailableReason } from '../../src/keyring.js';
import { KeychainStore } from './keychain-store.js';
import type { LocalOptions } from './options.js';
import { toStored } from './record.js';

export { TYPE } from './options.js';
/** Reads are served from a copy in the kernel keyring (src/cache/), written by the first read. */
export const CACHE: CacheKind = 'kernel';

const UNAVAILABLE = Symbol('keychain unavailable');

export const create = ((options: LocalOptions, context: ProviderContext): Provider => {
  const mode = options.store ?? 'auto';
  const dir = options.dir ?? context.dataDir;
  // The file store (age, locking, atomic writes) is a separate module: a keychain hit never loads it.
  let fileStore: Promise<AgeFileStore> | undefined;
  const file = () => (fileStore ??= import('./age-file-store.js').then(({ AgeFileStore }) => new AgeFileStore(dir)));
  const keychain = mode === 'file' ? undefined : new KeychainStore();
  let keychainDown = mode === 'auto' ? keychainUnavailableReason(context.env) : undefined;
  if (keychainDown !== undefined) context.log.debug('local.keychain-skipped', { reason: keychainDown });

  /** Runs op on the keychain, or says it is unavailable (auto mode falls back to the file). */
  async function onKeychain<T>(op: (store: KeychainStore) => Promise<T>): Promise<T | typeof UNAVAILABLE> {
    if (keychain === undefined || keychainDown !== undefined) return UNAVAILABLE;
    try {
      return await op(keychain);
    } catch (error) {
      const reason = keychainErrorReason(error);
      if (mode === 'keychain') throw new ProviderError(`OS keychain: ${reason}`);
      keychainDown = reason;
      context.log.note(`OS keychain unavailable (${reason}); using the encrypted file store ${dataFilePath(dir)}`);
      return UNAVAILABLE;
    }
  }

  return {
    async get(registry, { signal }): Promise<Credential | undefined> {
      const fromKeychain = await onKeychain((store) => store.get(registry.key, signal));
      if (fromKeychain !== UNAVAILABLE && fromKeychain !== undefined) return fromKeychain;
      if (mode === 'keychain' || !dataFileExists(dir)) return undefined;
      return (await file()).get(registry.key);
    },
    async store(registry, credential, { signal }) {
      const stored = toStored(credential);
      const result = await onKeychain((store) => store.set(registry.key, stored, signal));
      if (result === UNAVAILABLE) await (await file()).set(registry.key, stored, signal);
      // Keep one copy: an older one in the file would come back after an erase from the keychain.
      else if (mode === 'auto' && dataFileExists(dir)) await (await file()).delete(registry.key, signal);
    },
    async erase(registry, { signal }) {
      await onKeychain((store) => store.delete(registry.key, signal));
      if (mode !== 'keychain' && dataFileExists(dir)) await (await file()).delete(registry.key, signal);
    },
    async list({ signal }) {
      const entries = new Map<string, ListedCredential>();
      if (mode !== 'keychain' && dataFileExists(dir)) for (const [key, record] of await (await file()).list()) entries.set(key, record);
      const fromKeychain = await onKeychain((store) => store.list(signal));
      if (fromKeychain !== UNAVAILABLE) for (const [key, record] of fromKeychain) entries.set(key, record);
      return new Map([...entries].map(([key, record]) => [key, { serverURL: record.serverURL, username: record.username }]));
    },
  };
}) satisfies ProviderFactory<LocalOptions>;

/** The keychain library's messages name the failure (locked, no service), never the secret. */
function keychainErrorReason(error: unknown): string {
  if (isBridgeError(error)) return error.message;
  const message = error instanceof Error ? error.message.split('\n')[0] ?? '' : '';
  return message.length > 0 && message.length < 200 ? message : 'keychain call failed';
}

