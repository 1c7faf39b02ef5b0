import { existsSync, mkdirSync, readFileSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProviderError } from '../../src/errors.js';
import { DATA_FILE, IDENTITY_FILE } from './files.js';
import { isStoredCredential, type StoredCredential } from './record.js';

/**
 * The local store for machines without a usable OS keychain: one age-encrypted file (X25519),
 * its identity in a separate 0600 file, both in a 0700 directory. Writers take a cross-process
 * lock and replace the file atomically, so parallel `docker login`s neither race nor tear it;
 * readers need no lock. Threat model: docs/local-store.md.
 */
const FORMAT = 1;

interface Contents {
  format: number;
  credentials: Record<string, StoredCredential>;
}

export class AgeFileStore {
  readonly path: string;
  readonly identityPath: string;

  constructor(readonly dir: string) {
    this.path = join(dir, DATA_FILE);
    this.identityPath = join(dir, IDENTITY_FILE);
  }

  private exists(): boolean {
    return existsSync(this.path);
  }

  async get(key: string): Promise<StoredCredential | undefined> {
    if (!this.exists()) return undefined;
    return (await this.read()).credentials[key];
  }

  async list(): Promise<Map<string, StoredCredential>> {
    if (!this.exists()) return new Map();
    return new Map(Object.entries((await this.read()).credentials));
  }

  async set(key: string, credential: StoredCredential, signal: AbortSignal): Promise<void> {
    await this.update(signal, (credentials) => {
      credentials[key] = credential;
      return true;
    });
  }

  async delete(key: string, signal: AbortSignal): Promise<void> {
    if (!this.exists()) return;
    await this.update(signal, (credentials) => delete credentials[key]);
  }

  /** Read-modify-write under the lock; `change` returns whether anything changed. */
  private async update(signal: AbortSignal, change: (credentials: Record<string, StoredCredential>) => boolean): Promise<void> {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const { lock } = await import('proper-lockfile');
    const release = await lock(this.path, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 200, factor: 1, minTimeout: 25, maxTimeout: 25 },
      // A lost lock means another writer may have gone ahead: abort this write, never corrupt.
      onCompromised: () => {},
    });
    try {
      if (signal.aborted) throw new ProviderError('gave up waiting for the local store lock');
      const contents = this.exists() ? await this.read() : { format: FORMAT, credentials: {} };
      if (!change(contents.credentials)) return;
      await this.write(contents);
    } finally {
      await release().catch(() => {});
    }
  }

  private async read(): Promise<Contents> {
    const age = await import('age-encryption');
    const identity = this.readIdentity();
    if (identity === undefined) {
      throw new ProviderError(`cannot decrypt ${this.path}: its identity file ${this.identityPath} is missing`);
    }
    const decrypter = new age.Decrypter();
    decrypter.addIdentity(identity);
    let text: string;
    try {
      text = await decrypter.decrypt(readFileSync(this.path), 'text');
    } catch {
      throw new ProviderError(`cannot decrypt ${this.path} with ${this.identityPath} (wrong identity or damaged file)`);
    }
    const contents = JSON.parse(text) as Partial<Contents>;
    if (contents.format !== FORMAT || typeof contents.credentials !== 'object' || contents.credentials === null) {
      throw new ProviderError(`${this.path} has an unknown format`);
    }
    const credentials: Record<string, StoredCredential> = {};
    for (const [key, value] of Object.entries(contents.credentials)) if (isStoredCredential(value)) credentials[key] = value;
    return { format: FORMAT, credentials };
  }

  private async write(contents: Contents): Promise<void> {
    const age = await import('age-encryption');
    const identity = this.readIdentity() ?? (await this.createIdentity(age.generateX25519Identity));
    const encrypter = new age.Encrypter();
    encrypter.addRecipient(await age.identityToRecipient(identity));
    const ciphertext = await encrypter.encrypt(JSON.stringify(contents));
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await writeFileAtomic(this.path, Buffer.from(ciphertext), { mode: 0o600, fsync: true });
  }

  private readIdentity(): string | undefined {
    let stats: Stats;
    try {
      stats = statSync(this.identityPath);
    } catch {
      return undefined;
    }
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
      throw new ProviderError(`identity file ${this.identityPath} is readable by others; run chmod 600 ${this.identityPath}`);
    }
    return readFileSync(this.identityPath, 'utf8').trim();
  }

  /** Called under the write lock; `wx` still guards against a second writer of the identity. */
  private async createIdentity(generate: () => Promise<string>): Promise<string> {
    const identity = await generate();
    writeFileSync(this.identityPath, `${identity}\n`, { mode: 0o600, flag: 'wx' });
    return identity;
  }
}
