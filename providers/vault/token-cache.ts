/**
 * Login tokens (AppRole, JWT, Kubernetes) kept in the OS keychain until shortly before their TTL
 * ends, so that every `docker pull` that misses does not log in again (each login is a new token
 * and lease on the server). Best effort by design: a keychain that is missing, locked or failing
 * only means logging in, so no error here ever fails a call. Never a plaintext file.
 */
import { createHash } from 'node:crypto';
import { type Keyring, keychainUnavailableReason, loadKeyring } from '../../src/keyring.js';
import type { Logger } from '../types.js';

/** Keychain service of the cached tokens (`secret-tool search service docker-credential-bridge-vault`). */
export const TOKEN_CACHE_SERVICE = 'docker-credential-bridge-vault';

export interface CachedToken {
  readonly token: string;
  /** Epoch ms after which the token is not used any more; null: it has no TTL. */
  readonly useUntil: number | null;
}

/**
 * When to stop using a token of `ttlSeconds`: a tenth of its life before the end, at least 5 s
 * and at most 5 min early, so a call never starts with a token about to expire.
 */
export function useUntil(now: number, ttlSeconds: number): number | null {
  if (ttlSeconds <= 0) return null;
  const margin = Math.min(300, Math.max(5, ttlSeconds / 10));
  return now + Math.max(0, ttlSeconds - margin) * 1000;
}

/** A stable account name for one login identity, holding no secret (the inputs are hashed). */
export function cacheAccount(parts: readonly string[]): string {
  const [method = '', address = ''] = parts;
  return `${method} ${address} ${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}

export class TokenCache {
  private off: string | undefined;

  constructor(
    env: Readonly<Record<string, string | undefined>>,
    private readonly log: Logger,
  ) {
    this.off = keychainUnavailableReason(env);
  }

  /** Why tokens are not cached here, or undefined. */
  get disabledReason(): string | undefined {
    return this.off;
  }

  private async entry(account: string): Promise<Keyring.AsyncEntry | undefined> {
    if (this.off !== undefined) return undefined;
    const { AsyncEntry } = await loadKeyring();
    // Pinned to Secret Service on Linux, as the local store: one place to find and clear entries.
    return new AsyncEntry(TOKEN_CACHE_SERVICE, account, process.platform === 'linux' ? { linux: { store: 'secret-service' } } : undefined);
  }

  private disable(error: unknown): void {
    this.off = error instanceof Error ? error.name : 'keychain error';
    this.log.debug('vault.token-cache.off', { reason: this.off });
  }

  async get(account: string, signal: AbortSignal, now = Date.now()): Promise<CachedToken | undefined> {
    try {
      const value = await (await this.entry(account))?.getPassword(signal);
      if (value === undefined || value === null) return undefined;
      const record = JSON.parse(value) as { v?: unknown; token?: unknown; useUntil?: unknown };
      if (record.v !== 1 || typeof record.token !== 'string' || record.token === '') return undefined;
      const until = typeof record.useUntil === 'number' ? record.useUntil : null;
      if (until !== null && until <= now) return undefined;
      return { token: record.token, useUntil: until };
    } catch (error) {
      this.disable(error);
      return undefined;
    }
  }

  async set(account: string, cached: CachedToken, signal: AbortSignal): Promise<void> {
    try {
      await (await this.entry(account))?.setPassword(JSON.stringify({ v: 1, token: cached.token, useUntil: cached.useUntil }), signal);
    } catch (error) {
      this.disable(error);
    }
  }

  async delete(account: string, signal: AbortSignal): Promise<void> {
    try {
      await (await this.entry(account))?.deleteCredential(signal);
    } catch (error) {
      this.disable(error);
    }
  }
}
