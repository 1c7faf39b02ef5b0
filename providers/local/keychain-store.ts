import { type Keyring, loadKeyring } from '../../src/keyring.js';
import { isStoredCredential, type StoredCredential } from './record.js';

/** Service name of the local store's entries (`secret-tool search service docker-credential-bridge`). */
export const KEYCHAIN_SERVICE = 'docker-credential-bridge';

/**
 * The OS keychain through @napi-rs/keyring: Secret Service on Linux (pinned, so entries never
 * land in the non-persistent kernel keyring), Keychain on macOS, Credential Manager on Windows.
 * One entry per registry key, its value a small JSON record.
 */
export class KeychainStore {
  constructor(private readonly service: string = KEYCHAIN_SERVICE) {}

  private keyring(): Promise<typeof Keyring> {
    return loadKeyring();
  }

  private async entry(key: string): Promise<Keyring.AsyncEntry> {
    const { AsyncEntry } = await this.keyring();
    return new AsyncEntry(this.service, key, process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined);
  }

  async get(key: string, signal: AbortSignal): Promise<StoredCredential | undefined> {
    const value = await (await this.entry(key)).getPassword(signal);
    return value === null ? undefined : parse(value);
  }

  async set(key: string, credential: StoredCredential, signal: AbortSignal): Promise<void> {
    await (await this.entry(key)).setPassword(JSON.stringify(credential), signal);
  }

  async delete(key: string, signal: AbortSignal): Promise<void> {
    await (await this.entry(key)).deleteCredential(signal);
  }

  async list(signal: AbortSignal): Promise<Map<string, StoredCredential>> {
    const { findCredentialsAsync } = await this.keyring();
    const entries = new Map<string, StoredCredential>();
    for (const { account, password } of await findCredentialsAsync(this.service, null, signal)) {
      const record = parse(password);
      if (record !== undefined) entries.set(account, record);
    }
    return entries;
  }
}

function parse(value: string): StoredCredential | undefined {
  try {
    const record: unknown = JSON.parse(value);
    return isStoredCredential(record) ? record : undefined;
  } catch {
    return undefined;
  }
}
