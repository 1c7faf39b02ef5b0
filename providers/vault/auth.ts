/**
 * Where the Vault token comes from. `token`: VAULT_TOKEN or ~/.vault-token, as the vault CLI.
 * `approle`, `jwt`, `kubernetes`: their credentials (from variables or files) are exchanged for a
 * token, which is kept in memory and in the OS keychain (token-cache.ts) until shortly before its
 * TTL ends. Credentials are read before any network call: a machine with none fails at once.
 */
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { ProviderError } from '../../src/errors.js';
import type { Logger } from '../types.js';
import { type Connection, expandHome, type LoginMethod, type VaultSession } from './client.js';
import { toProviderError } from './errors.js';
import type { VaultAuthOptions } from './options.js';
import { type CachedToken, cacheAccount, type TokenCache, useUntil } from './token-cache.js';

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_TOKEN_ENV = 'VAULT_TOKEN';
export const DEFAULT_TOKEN_FILE = '~/.vault-token';
export const DEFAULT_KUBERNETES_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** A token and whether it was minted during this very call (then a 403 is final: no re-login). */
export interface TokenGrant {
  readonly token: string;
  readonly reusable: boolean;
}

const loginAnswer = v.object({
  auth: v.object({
    client_token: v.pipe(v.string(), v.minLength(1)),
    lease_duration: v.pipe(v.number(), v.minValue(0)),
  }),
});

interface LoginPlan {
  readonly method: LoginMethod;
  readonly mount: string;
  readonly body: Record<string, string>;
  /** Identifies the login for the cache (hashed into the keychain account). */
  readonly identity: readonly string[];
  readonly cache: boolean;
}

export class VaultAuth {
  private memo: CachedToken | undefined;

  constructor(
    private readonly options: VaultAuthOptions | undefined,
    private readonly env: Env,
    private readonly connection: Connection,
    private readonly who: string,
    private readonly log: Logger,
    private readonly cache: TokenCache | undefined,
  ) {}

  private fail(message: string): ProviderError {
    return new ProviderError(`${this.who}: ${message}`);
  }

  /** A secret from a variable or a file: the variable when it is set, else the file. */
  private secretFrom(what: string, envName: string | undefined, file: string | undefined): string | undefined {
    const fromEnv = envName === undefined ? undefined : this.env[envName]?.trim();
    if (fromEnv) return fromEnv;
    if (file === undefined) return undefined;
    const path = expandHome(file, this.env);
    try {
      return readFileSync(path, 'utf8').trim() || undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      throw this.fail(`cannot read ${what} file ${path} (${code ?? 'error'})`);
    }
  }

  /** Where each input comes from, for messages: `VAULT_ROLE_ID or /run/role-id`. */
  private sources(envName: string | undefined, file: string | undefined): string {
    return [envName, file].filter((s) => s !== undefined).join(' or ');
  }

  /** A static token, read now. */
  private staticToken(): string {
    const auth = this.options?.method === 'token' ? this.options : undefined;
    // Explicit settings replace the defaults: a configured file alone is not shadowed by VAULT_TOKEN.
    const explicit = auth?.tokenEnv !== undefined || auth?.tokenFile !== undefined;
    const envName = explicit ? auth?.tokenEnv : DEFAULT_TOKEN_ENV;
    const file = explicit ? auth?.tokenFile : DEFAULT_TOKEN_FILE;
    const token = this.secretFrom('token', envName, file);
    if (token === undefined) {
      throw this.fail(`no Vault token: ${this.sources(envName, file)} is empty or missing (or configure auth: approle, jwt or kubernetes)`);
    }
    return token;
  }

  private plan(): LoginPlan | undefined {
    const auth = this.options;
    if (auth === undefined || auth.method === 'token') return undefined;
    const base = [auth.method, this.connection.address, this.connection.namespace ?? ''];
    const need = (what: string, envName: string | undefined, file: string | undefined): string => {
      if (envName === undefined && file === undefined) throw this.fail(`auth.${what}Env or auth.${what}File must be set for ${auth.method} login`);
      const value = this.secretFrom(what, envName, file);
      if (value === undefined) throw this.fail(`no ${what} for ${auth.method} login: ${this.sources(envName, file)} is empty or missing`);
      return value;
    };
    const cache = auth.cacheToken ?? true;
    switch (auth.method) {
      case 'approle': {
        const mount = trimSlashes(auth.mount ?? 'approle');
        const explicitRole = auth.roleIdEnv !== undefined || auth.roleIdFile !== undefined;
        const explicitSecret = auth.secretIdEnv !== undefined || auth.secretIdFile !== undefined;
        const roleId = need('roleId', explicitRole ? auth.roleIdEnv : 'VAULT_ROLE_ID', auth.roleIdFile);
        const secretId = need('secretId', explicitSecret ? auth.secretIdEnv : 'VAULT_SECRET_ID', auth.secretIdFile);
        return { method: 'approle', mount, body: { role_id: roleId, secret_id: secretId }, identity: [...base, mount, roleId], cache };
      }
      case 'jwt': {
        const mount = trimSlashes(auth.mount ?? 'jwt');
        const jwt = need('jwt', auth.jwtEnv, auth.jwtFile);
        return { method: 'jwt', mount, body: { role: auth.role, jwt }, identity: [...base, mount, auth.role], cache };
      }
      case 'kubernetes': {
        const mount = trimSlashes(auth.mount ?? 'kubernetes');
        const jwt = need('jwt', undefined, auth.jwtFile ?? DEFAULT_KUBERNETES_TOKEN_FILE);
        return { method: 'kubernetes', mount, body: { role: auth.role, jwt }, identity: [...base, mount, auth.role], cache };
      }
    }
  }

  /**
   * Checks, without any network call, that this machine has what the configured method needs.
   * Throws a ProviderError naming what is missing.
   */
  check(): void {
    if (this.plan() === undefined) this.staticToken();
  }

  /** The token to use: static, remembered, cached in the keychain, or from a new login. */
  async token(session: VaultSession, signal: AbortSignal): Promise<TokenGrant> {
    const plan = this.plan();
    if (plan === undefined) return { token: this.staticToken(), reusable: false };
    const now = Date.now();
    if (this.memo !== undefined && (this.memo.useUntil === null || this.memo.useUntil > now)) return { token: this.memo.token, reusable: true };
    if (plan.cache && this.cache !== undefined) {
      const cached = await this.cache.get(cacheAccount(plan.identity), signal, now);
      if (cached !== undefined) {
        this.log.debug('vault.token', { source: 'keychain' });
        this.memo = cached;
        return { token: cached.token, reusable: true };
      }
    }
    return { token: await this.login(plan, session, signal), reusable: false };
  }

  /** After a 403 on a reused token: forget it everywhere and log in once more. */
  async relogin(session: VaultSession, signal: AbortSignal): Promise<string> {
    const plan = this.plan();
    if (plan === undefined) throw this.fail('cannot log in again with a static token');
    this.memo = undefined;
    if (plan.cache && this.cache !== undefined) await this.cache.delete(cacheAccount(plan.identity), signal);
    this.log.debug('vault.relogin', { method: plan.method });
    return this.login(plan, session, signal);
  }

  private async login(plan: LoginPlan, session: VaultSession, signal: AbortSignal): Promise<string> {
    const action = `logging in with ${plan.method} at auth/${plan.mount}`;
    let answer: unknown;
    try {
      answer = await session.login(plan.method, plan.mount, plan.body);
    } catch (error) {
      throw toProviderError(error, { who: this.who, address: this.connection.displayAddress, action, login: true });
    }
    const parsed = v.safeParse(loginAnswer, answer);
    if (!parsed.success) throw this.fail(`unexpected answer from Vault ${action} (no client token)`);
    const { client_token: token, lease_duration: ttl } = parsed.output.auth;
    this.memo = { token, useUntil: useUntil(Date.now(), ttl) };
    this.log.debug('vault.token', { source: 'login', method: plan.method, ttl });
    if (plan.cache && this.cache !== undefined) await this.cache.set(cacheAccount(plan.identity), this.memo, signal);
    return token;
  }
}

export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
