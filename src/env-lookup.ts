import type { EnvMapping } from './config/types.js';
import type { Logger } from '../providers/types.js';
import type { Env } from './paths.js';
import { normalizeServerUrl, type RegistryKey } from './server-url.js';

/**
 * Credentials from the environment, for CI machines with no backend access. Consulted before any
 * provider (as Docker puts DOCKER_AUTH_CONFIG in front of its helpers), in this order:
 *   1. the route's explicit mapping (e.g. CI_REGISTRY_USER / CI_REGISTRY_PASSWORD),
 *   2. DOCKER_AUTH_CONFIG (`{"auths": {"<registry>": {"auth": base64("user:secret")}}}`),
 *   3. the naming convention DOCKER_CREDENTIAL_BRIDGE_<ENCODED KEY>_USERNAME / _PASSWORD.
 * No I/O beyond reading process memory: a CI job never waits on a network here.
 */
export const CONVENTION_PREFIX = 'DOCKER_CREDENTIAL_BRIDGE_';
export const USERNAME_SUFFIX = '_USERNAME';
export const PASSWORD_SUFFIX = '_PASSWORD';
export const DOCKER_AUTH_CONFIG = 'DOCKER_AUTH_CONFIG';

export type EnvSourceKind = 'route mapping' | 'DOCKER_AUTH_CONFIG' | 'naming convention';

export interface EnvCredential {
  readonly username: string;
  readonly secret: string;
  readonly source: EnvSourceKind;
}

/**
 * A registry's key in variable-name form. Keys that are plain `host[:port]` (DNS labels of
 * letters, digits and inner dashes) get a readable form: letters upper-cased, `.` → `_`,
 * `-` → `__`, `:` → `___`. Because a dot or colon never touches another separator in such a
 * key, every run of underscores decodes one way (1 = dot, 3 = colon, even = dashes): the
 * convention is collision-free and port-aware. Any other key (IPv6, a path) is written as `_`
 * plus the hex of its bytes, which no readable form can start with.
 */
const READABLE_KEY = /^[a-z0-9]+(?:-+[a-z0-9]+)*(?:\.[a-z0-9]+(?:-+[a-z0-9]+)*)*(?::[0-9]+)?$/;

export function encodeKeyForEnv(key: string): string {
  if (READABLE_KEY.test(key)) {
    return key.replace(/[.:-]/g, (ch) => (ch === '.' ? '_' : ch === '-' ? '__' : '___')).toUpperCase();
  }
  return `_${Buffer.from(key, 'utf8').toString('hex').toUpperCase()}`;
}

/** Inverse of encodeKeyForEnv; undefined for names no key encodes to. */
export function decodeKeyFromEnv(encoded: string): string | undefined {
  if (encoded.startsWith('_')) {
    const hex = encoded.slice(1);
    if (!/^(?:[0-9A-F]{2})+$/.test(hex)) return undefined;
    const key = Buffer.from(hex, 'hex').toString('utf8');
    return encodeKeyForEnv(key) === encoded ? key : undefined;
  }
  if (!/^[A-Z0-9_]+$/.test(encoded)) return undefined;
  const key = encoded
    .toLowerCase()
    .replace(/_+/g, (run) => (run.length === 1 ? '.' : run.length === 3 ? ':' : run.length % 2 === 0 ? '-'.repeat(run.length / 2) : '\0'));
  return READABLE_KEY.test(key) && encodeKeyForEnv(key) === encoded ? key : undefined;
}

export function conventionVarNames(registry: RegistryKey): EnvMapping {
  const stem = `${CONVENTION_PREFIX}${encodeKeyForEnv(registry.key)}`;
  return { username: `${stem}${USERNAME_SUFFIX}`, password: `${stem}${PASSWORD_SUFFIX}` };
}

function fromVars(env: Env, names: EnvMapping, log: Logger): { username: string; secret: string } | undefined {
  const username = env[names.username];
  const secret = env[names.password];
  if (username && secret !== undefined) return { username, secret };
  if (username || secret !== undefined) {
    const [set, unset] = username ? [names.username, names.password] : [names.password, names.username];
    log.note(`${set} is set but ${unset} is not; ignoring both`);
  }
  return undefined;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
}

/** The DOCKER_AUTH_CONFIG entry for this registry, matched by normalised key. */
function fromDockerAuthConfig(env: Env, registry: RegistryKey, log: Logger): { username: string; secret: string } | undefined {
  const raw = env[DOCKER_AUTH_CONFIG];
  if (!raw) return undefined;
  let auths: Record<string, AuthEntry>;
  try {
    const parsed = JSON.parse(raw) as { auths?: unknown };
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.auths !== 'object' || parsed.auths === null) {
      throw new Error('no auths object');
    }
    auths = parsed.auths as Record<string, AuthEntry>;
  } catch {
    // Never echo the value: it is made of credentials.
    log.note(`${DOCKER_AUTH_CONFIG} is set but is not JSON of the form {"auths": {...}}; ignoring it`);
    return undefined;
  }
  for (const [serverURL, entry] of Object.entries(auths)) {
    let key: string;
    try {
      key = normalizeServerUrl(serverURL).key;
    } catch {
      continue;
    }
    if (key !== registry.key || typeof entry !== 'object' || entry === null) continue;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
      return { username: '<token>', secret: entry.identitytoken };
    }
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
      log.note(`${DOCKER_AUTH_CONFIG} entry for ${registry.key} has an auth field that is not base64 of user:secret; ignoring it`);
      continue;
    }
    if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
      return { username: entry.username, secret: entry.password };
    }
  }
  return undefined;
}

export function lookupEnvCredential(
  registry: RegistryKey,
  mapping: EnvMapping | undefined,
  env: Env,
  log: Logger,
): EnvCredential | undefined {
  if (mapping !== undefined) {
    const found = fromVars(env, mapping, log);
    if (found) return { ...found, source: 'route mapping' };
  }
  const fromDocker = fromDockerAuthConfig(env, registry, log);
  if (fromDocker) return { ...fromDocker, source: 'DOCKER_AUTH_CONFIG' };
  const found = fromVars(env, conventionVarNames(registry), log);
  return found ? { ...found, source: 'naming convention' } : undefined;
}

/** Registries the naming convention has credentials for, by key: for `list`. */
export function listConventionKeys(env: Env): Map<string, string> {
  const keys = new Map<string, string>();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(CONVENTION_PREFIX) || !name.endsWith(USERNAME_SUFFIX) || !value) continue;
    const encoded = name.slice(CONVENTION_PREFIX.length, -USERNAME_SUFFIX.length);
    const key = decodeKeyFromEnv(encoded);
    if (key !== undefined && env[`${CONVENTION_PREFIX}${encoded}${PASSWORD_SUFFIX}`] !== undefined) keys.set(key, value);
  }
  return keys;
}
