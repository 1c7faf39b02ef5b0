/**
 * `vault` provider: registry credentials as secrets in a KV engine (v2 by default, or v1) of
 * HashiCorp Vault or OpenBao, through node-vault. Layout: one secret per registry at
 * `<mount>/<path template>` (default `secret/docker/{registry}`, see paths.ts), fields `username`,
 * `password` and `server_url` (the ServerURL as the client sent it, for `list`).
 *
 * Split by job: client.ts (node-vault, connection, deadline), auth.ts (+ token-cache.ts), kv.ts
 * (engine versions, answers validated), errors.ts (the one mapping to ProviderError).
 * With `{type: vault}` alone it works from VAULT_ADDR and VAULT_TOKEN, like the vault CLI.
 */
import { ProviderError } from '../../src/errors.js';
import { normalizeServerUrl } from '../../src/server-url.js';
import type { CacheKind, Credential, ListedCredential, Provider, ProviderContext, ProviderFactory } from '../types.js';
import { trimSlashes, VaultAuth } from './auth.js';
import { resolveConnection, type VaultSession, VaultTransport } from './client.js';
import { isDenied, toProviderError } from './errors.js';
import { Kv, mapLimited } from './kv.js';
import type { VaultOptions } from './options.js';
import { parseTemplate, registryKeyOf, secretPath } from './paths.js';
import { TokenCache } from './token-cache.js';

export { TYPE } from './options.js';
/** Answers are kept in the bridge's keychain cache (src/cache/). */
export const CACHE: CacheKind = 'remote';

export const DEFAULT_PATH = 'docker/{registry}';
export const DEFAULT_FIELDS = { username: 'username', password: 'password', serverURL: 'server_url' } as const;

interface Setup {
  readonly transport: VaultTransport;
  readonly auth: VaultAuth;
}

export const create = ((options: VaultOptions, context: ProviderContext): Provider => {
  const who = `vault provider "${context.name}"`;
  const template = parseTemplate(options.path ?? DEFAULT_PATH);
  const mount = trimSlashes(options.mount ?? 'secret');
  const kv = new Kv(mount, options.kvVersion ?? 2, who);
  const fields = { ...DEFAULT_FIELDS, ...options.fields };
  const cas = options.cas ?? false;
  const eraseMode = options.erase ?? 'latest';

  // Settings are read on the first call, not here: a bad one is then reported like any other
  // failure of that call (under the route's onError), and still before any network traffic.
  let setup: Setup | undefined;
  const prepare = (): Setup => {
    if (setup !== undefined) return setup;
    if (new Set(Object.values(fields)).size !== 3) throw new ProviderError(`${who}: fields.username, fields.password and fields.serverURL must differ`);
    const connection = resolveConnection(options, context.env, context.log, who);
    const cache = options.auth?.method === 'token' || options.auth === undefined ? undefined : new TokenCache(context.env, context.log);
    if (cache?.disabledReason !== undefined) context.log.debug('vault.token-cache.off', { reason: cache.disabledReason });
    const auth = new VaultAuth(options.auth, context.env, connection, who, context.log, cache);
    setup = { transport: new VaultTransport(connection), auth };
    return setup;
  };

  /**
   * Runs `work` with a token under the call's deadline, and maps any failure to one ProviderError.
   * A reused login token (memory or keychain) that is refused gets one fresh login and one retry.
   */
  async function withVault<T>(action: string, signal: AbortSignal, work: (api: VaultSession, token: string) => Promise<T>): Promise<T> {
    const { transport, auth } = prepare();
    auth.check(); // no credentials on this machine: fail now, without loading node-vault or any I/O
    let session: VaultSession | undefined;
    try {
      session = await transport.session(signal);
      const grant = await auth.token(session, signal);
      try {
        return await work(session, grant.token);
      } catch (error) {
        if (!grant.reusable || !isDenied(error)) throw error;
        return await work(session, await auth.relogin(session, signal));
      }
    } catch (error) {
      throw toProviderError(error, { who, address: transport.connection.displayAddress, action });
    } finally {
      session?.close();
    }
  }

  /** The credential in a secret's fields; a secret without them is a misconfiguration, not a miss. */
  function toCredential(data: Record<string, unknown>, serverURL: string, where: string): Credential {
    const username = data[fields.username];
    const secret = data[fields.password];
    for (const [field, value] of [
      [fields.username, username],
      [fields.password, secret],
    ] as const) {
      if (typeof value !== 'string') throw new ProviderError(`${who}: the secret ${where} has no text field "${field}" (set fields.username / fields.password to its field names)`);
    }
    if (username === '') throw new ProviderError(`${who}: the secret ${where} has an empty "${fields.username}" field`);
    return { serverURL, username: username as string, secret: secret as string };
  }

  return {
    async get(registry, { signal }) {
      const path = secretPath(template, registry.key);
      context.log.debug('vault.get', { key: registry.key, path: `${mount}/${path}` });
      return withVault(`reading ${mount}/${path}`, signal, async (api, token) => {
        const data = await kv.read(api, token, path);
        return data === undefined ? undefined : toCredential(data, registry.serverURL, `${mount}/${path}`);
      });
    },

    async store(registry, credential, { signal }) {
      const path = secretPath(template, registry.key);
      context.log.debug('vault.store', { key: registry.key, path: `${mount}/${path}`, cas });
      const data = { [fields.username]: credential.username, [fields.password]: credential.secret, [fields.serverURL]: credential.serverURL };
      await withVault(`writing ${mount}/${path}`, signal, (api, token) => kv.write(api, token, path, data, cas));
    },

    async erase(registry, { signal }) {
      const path = secretPath(template, registry.key);
      context.log.debug('vault.erase', { key: registry.key, path: `${mount}/${path}`, mode: eraseMode });
      await withVault(`deleting ${mount}/${path}`, signal, (api, token) => kv.remove(api, token, path, eraseMode));
    },

    async list({ signal }) {
      return withVault(`listing ${mount}/${template.prefix}`, signal, async (api, token) => {
        const paths = await kv.listAll(api, token, template.prefix);
        const ours = paths.flatMap((path) => {
          const key = registryKeyOf(template, path);
          return key === undefined ? [] : [{ path, key }];
        });
        context.log.debug('vault.list', { secrets: paths.length, registries: ours.length });
        const entries = new Map<string, ListedCredential>();
        await mapLimited(ours, 8, async ({ path, key }) => {
          const data = await kv.read(api, token, path);
          const username = data?.[fields.username];
          if (typeof username !== 'string' || username === '') return; // deleted meanwhile, or not a credential
          const stored = data?.[fields.serverURL];
          entries.set(key, { serverURL: typeof stored === 'string' && sameRegistry(stored, key) ? stored : key, username });
        });
        return new Map([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      });
    },
  };
}) satisfies ProviderFactory<VaultOptions>;

/** A stored ServerURL is shown by `list` only if it still names the registry its path encodes. */
function sameRegistry(serverURL: string, key: string): boolean {
  try {
    return normalizeServerUrl(serverURL).key === key;
  } catch {
    return false;
  }
}
