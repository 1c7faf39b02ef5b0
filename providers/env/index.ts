/**
 * `env` provider: read-only. Looks up the same sources as the bridge's environment lookup
 * (src/env-lookup.ts) — an explicit variable pair when configured, DOCKER_AUTH_CONFIG, then the
 * naming convention — for routes that should be served from the environment only.
 */
import { listConventionKeys, lookupEnvCredential } from '../../src/env-lookup.js';
import type { Provider, ProviderContext, ProviderFactory } from '../types.js';
import type { EnvOptions } from './options.js';

export { TYPE } from './options.js';

export const create = ((options: EnvOptions, context: ProviderContext): Provider => {
  const mapping =
    options.username !== undefined && options.password !== undefined
      ? { username: options.username, password: options.password }
      : undefined;
  return {
    async get(registry) {
      const found = lookupEnvCredential(registry, mapping, context.env, context.log);
      return found && { serverURL: registry.serverURL, username: found.username, secret: found.secret };
    },
    async list() {
      const entries = new Map<string, { serverURL: string; username: string }>();
      for (const [key, username] of listConventionKeys(context.env)) entries.set(key, { serverURL: key, username });
      return entries;
    },
  };
}) satisfies ProviderFactory<EnvOptions>;

