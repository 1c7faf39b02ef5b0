import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { parse as parsePath } from 'node:path';
import * as v from 'valibot';
import { CACHE_KINDS, PROVIDER_TYPES } from '../../providers/registry.js';
import type { CacheKind } from '../../providers/types.js';
import { ConfigError } from '../errors.js';
import { APP_NAME, CONFIG_FILE_NAMES } from '../paths.js';
import { compileHostGlob } from './compile-glob.js';
import type { LocatedConfig } from './locate.js';
import { configSchema, type ConfigOutput } from './schema.js';
import { makeSnapshot, snapshotPath } from './snapshot.js';
import {
  type BridgeConfig,
  type CachePolicy,
  DEFAULT_CACHE_TTL_MS,
  DEFAULT_NEGATIVE_TTL_MS,
  DEFAULT_TIMEOUT_MS,
  type ProviderConfig,
  type RouteConfig,
} from './types.js';

/**
 * The cold path: parse, validate and compile a config file, then refresh the snapshot.
 * Loaded only when the config is new or changed.
 */
export async function compileAndSnapshot(located: LocatedConfig, cacheDir: string): Promise<BridgeConfig> {
  const config = compileConfig(located.path, await readConfigFile(located.path));
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await writeFileAtomic(snapshotPath(cacheDir), JSON.stringify(makeSnapshot(located.fingerprint, config)), { mode: 0o600 });
  } catch {
    // No snapshot only costs speed: the next run compiles again.
  }
  return config;
}

/**
 * cosmiconfig, guarded: creating an explorer searches process.cwd() for a "meta config" that can
 * run JavaScript or redirect the search, and docker runs us in whatever directory the user is in
 * (a cloned repository). So the explorer is created with cwd at the filesystem root, searches
 * nothing by itself, and has YAML and JSON loaders only.
 */
export async function readConfigFile(path: string): Promise<unknown> {
  const { cosmiconfig, defaultLoaders } = await import('cosmiconfig');
  let cwd: string | undefined;
  try {
    cwd = process.cwd();
  } catch {
    cwd = undefined; // the directory was deleted under us: nothing there to be tricked by
  }
  process.chdir(parsePath(cwd ?? '/').root || '/');
  let explorer: ReturnType<typeof cosmiconfig>;
  try {
    explorer = cosmiconfig(APP_NAME, {
      searchStrategy: 'none',
      searchPlaces: [...CONFIG_FILE_NAMES],
      loaders: {
        '.yaml': defaultLoaders['.yaml'],
        '.yml': defaultLoaders['.yml'],
        '.json': defaultLoaders['.json'],
        noExt: defaultLoaders['.yaml'],
      },
      cache: false,
    });
  } finally {
    if (cwd !== undefined) process.chdir(cwd);
  }
  let result: Awaited<ReturnType<typeof explorer.load>>;
  try {
    result = await explorer.load(path);
  } catch (error) {
    throw new ConfigError(`config ${path}: ${syntaxErrorLine(path, error)}`);
  }
  if (result === null || result.isEmpty || result.config === undefined || result.config === null) {
    throw new ConfigError(`config ${path} is empty`);
  }
  return result.config;
}

/** Where the syntax error is, never what the file says there (it might be a pasted secret). */
function syntaxErrorLine(path: string, error: unknown): string {
  const kind = path.endsWith('.json') ? 'JSON' : 'YAML';
  const mark = (error as { mark?: { line?: number; column?: number } }).mark;
  if (mark && typeof mark.line === 'number' && typeof mark.column === 'number') {
    return `${kind} syntax error at line ${mark.line + 1}, column ${mark.column + 1}`;
  }
  const message = error instanceof Error ? error.message : '';
  const at = /line (\d+) column (\d+)/i.exec(message) ?? /position (\d+)/i.exec(message);
  if (at?.[2] !== undefined) return `${kind} syntax error at line ${at[1]}, column ${at[2]}`;
  if (at?.[1] !== undefined) return `${kind} syntax error at character ${at[1]}`;
  if ((error as { code?: unknown }).code === 'EACCES') return 'permission denied';
  return `${kind} syntax error`;
}

export interface CompileOptions {
  /** How each provider type may be cached; default: CACHE_KINDS in providers/registry.ts. */
  readonly cacheKinds?: Readonly<Record<string, CacheKind>>;
}

/** Validates a parsed config and compiles it to the runtime form. Throws ConfigError naming the exact path. */
export function compileConfig(source: string, input: unknown, options: CompileOptions = {}): BridgeConfig {
  const fail = (where: string, message: string): never => {
    throw new ConfigError(`config ${source}: ${where}: ${message}`);
  };
  const unknownType = findUnknownProviderType(input);
  if (unknownType)
    fail(unknownType.where, `unknown provider type ${JSON.stringify(unknownType.type)} (valid: ${PROVIDER_TYPES.join(', ')})`);

  const parsed = v.safeParse(configSchema, input);
  if (!parsed.success) {
    const [first, ...rest] = parsed.issues;
    if (first === undefined) fail('(root)', 'invalid');
    const issue = first as v.BaseIssue<unknown>;
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    fail(issuePath(issue), `${issueMessage(issue)}${more}`);
  }
  const config = parsed.output as ConfigOutput;

  const providers: Record<string, ProviderConfig> = {};
  const providerTtl: Record<string, number | undefined> = {};
  for (const [name, { type, cache, ...providerOptions }] of Object.entries(config.providers)) {
    providers[name] = { type, options: providerOptions, cacheId: `${name}-${configHash(type, providerOptions)}` };
    providerTtl[name] = cache?.ttl === undefined ? undefined : toMs(cache.ttl);
  }
  const cacheStore = config.cache?.store ?? 'auto';
  const cachePolicy = (fields: NonNullable<ConfigOutput['default']>): CachePolicy | undefined => {
    const type = providers[fields.provider]?.type;
    const kind = type === undefined ? undefined : (options.cacheKinds ?? CACHE_KINDS)[type];
    if (cacheStore === 'off' || fields.cache === false || kind === undefined) return undefined;
    // A kernel-cached provider is kept in keyutils only: a store setting without it leaves it uncached.
    if (kind === 'kernel' && cacheStore === 'secret-service') return undefined;
    const global = config.cache;
    // The more specific setting wins: route, then provider, then the global section.
    const ttl = fields.cache?.ttl ?? providerTtl[fields.provider] ?? (global?.ttl === undefined ? undefined : toMs(global.ttl));
    const negative = fields.cache?.negativeTtl ?? global?.negativeTtl;
    const stale = fields.cache?.staleIfError ?? global?.staleIfError;
    return {
      ttlMs: ttl === undefined ? DEFAULT_CACHE_TTL_MS : toMs(ttl),
      negativeTtlMs: negative === undefined ? DEFAULT_NEGATIVE_TTL_MS : toMs(negative),
      staleIfErrorMs: stale === undefined ? undefined : stale === false ? 0 : toMs(stale),
      ...(kind === 'kernel' ? { store: 'keyutils' as const } : {}),
    };
  };

  const route = (label: string, fields: NonNullable<ConfigOutput['default']>, match: readonly string[]): RouteConfig => {
    if (providers[fields.provider] === undefined) {
      const defined = Object.keys(providers);
      fail(
        `${label}.provider`,
        `provider ${JSON.stringify(fields.provider)} is not defined under providers (defined: ${defined.length ? defined.join(', ') : 'none'})`,
      );
    }
    const matchers = match.map((pattern, i) => {
      try {
        return compileHostGlob(pattern);
      } catch (error) {
        return fail(
          label === 'default' ? label : `${label}.match${match.length > 1 ? `[${i}]` : ''}`,
          `${JSON.stringify(pattern)}: ${(error as Error).message}`,
        );
      }
    });
    return {
      label,
      match,
      matchers,
      provider: fields.provider,
      write: fields.write,
      onError: fields.onError ?? 'fail',
      timeoutMs: fields.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMs(fields.timeout),
      env: fields.env,
      cache: cachePolicy(fields),
    };
  };

  return {
    source,
    providers,
    routes: (config.routes ?? []).map((r, i) => route(`routes[${i}]`, r, typeof r.match === 'string' ? [r.match] : r.match)),
    defaultRoute: config.default === undefined ? undefined : route('default', config.default, ['*']),
    envLookup: config.env?.lookup ?? true,
    cacheStore,
  };
}

/** 12 hex digits of SHA-256 over the provider's type and options, keys sorted: stable across key order. */
function configHash(type: string, options: Record<string, unknown>): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
      );
    }
    return value;
  };
  return createHash('sha256')
    .update(JSON.stringify({ type, options: canonical(options) }))
    .digest('hex')
    .slice(0, 12);
}

function findUnknownProviderType(input: unknown): { where: string; type: unknown } | undefined {
  const providers = (input as { providers?: unknown } | null)?.providers;
  if (typeof providers !== 'object' || providers === null) return undefined;
  for (const [name, value] of Object.entries(providers)) {
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && !PROVIDER_TYPES.includes(type)) return { where: `providers.${name}.type`, type };
  }
  return undefined;
}

function toMs(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^(\d+)(ms|s|m|h)$/.exec(value);
  const n = Number(match?.[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match?.[2] as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}

/** `routes[2].match`, `providers.corp-vault.type`: the exact place in the file. */
function issuePath(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => item.key);
  if (keys.length === 0) return '(root)';
  return keys.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

const SECRET_LOOKING_KEY = /password|secret|token|credential/i;

/** valibot's message, with the offending value shown unless it sits under a secret-looking key. */
function issueMessage(issue: v.BaseIssue<unknown>): string {
  const lastKey = String(issue.path?.at(-1)?.key ?? '');
  if (issue.kind === 'schema' && issue.type === 'strict_object' && issue.expected === 'never') {
    return `unknown key ${JSON.stringify(lastKey)}`;
  }
  const shown = SECRET_LOOKING_KEY.test(lastKey) ? '(value hidden)' : describeValue(issue.input);
  if (issue.kind === 'schema') return `expected ${issue.expected ?? 'a different type'}, got ${shown}`;
  return `${issue.message.replace(/^Invalid \w+: /, '')} (got ${shown})`;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return value.length <= 80 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? 'a list' : 'an object';
}
