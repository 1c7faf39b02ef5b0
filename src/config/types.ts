/**
 * The runtime form of the config: validated, defaults applied, globs compiled to regular
 * expressions. This is what the snapshot stores, so the hot path never loads the YAML parser,
 * the schema library or the glob compiler.
 */
export type WritePolicy = 'forward' | 'ignore' | 'refuse';
export type ErrorPolicy = 'fail' | 'not-found';

export interface ProviderConfig {
  readonly type: string;
  readonly options: Record<string, unknown>;
  /**
   * `<name>-<hash of type and options>`: names this backend's cache entries, so changing a
   * provider's config never serves what the old config fetched.
   */
  readonly cacheId: string;
}

/** Where cache entries live (src/cache/stores.ts). */
export type CacheStoreSetting = 'auto' | 'keyutils' | 'secret-service' | 'off';

/** A route's cache times, route > provider > global > defaults already applied. */
export interface CachePolicy {
  readonly ttlMs: number;
  /** How long a backend "not found" is remembered; 0: not at all. */
  readonly negativeTtlMs: number;
  /** How long past refreshAfter an entry may be served when the backend fails; undefined: until it expires. */
  readonly staleIfErrorMs: number | undefined;
  /** Where this route's entries may go when narrower than the global `cache.store`: a `kernel` provider's, keyutils only. */
  readonly store?: 'keyutils';
}

/**
 * A compiled host glob: RegExp sources for the host (dots read as path separators, so `*` stays
 * within one label and `**` spans labels) and, when the pattern names one, the port.
 */
export interface HostMatcher {
  readonly host: string;
  /** undefined: any port, or none. */
  readonly port: string | undefined;
  /** The pattern was `*` or `**`: matches every registry. */
  readonly any: boolean;
}

export interface EnvMapping {
  readonly username: string;
  readonly password: string;
}

export interface RouteConfig {
  /** `routes[2]` or `default`: how messages and `explain` name the rule. */
  readonly label: string;
  /** The patterns as written. */
  readonly match: readonly string[];
  /** One compiled matcher per pattern (see src/host-glob.ts). */
  readonly matchers: readonly HostMatcher[];
  readonly provider: string;
  /** undefined: the provider's own default (forward if it can write, else ignore). */
  readonly write: WritePolicy | undefined;
  readonly onError: ErrorPolicy;
  readonly timeoutMs: number;
  readonly env: EnvMapping | undefined;
  /** undefined: not cached (an env provider, `cache: false`, or `cache.store: off`). */
  readonly cache: CachePolicy | undefined;
}

export interface BridgeConfig {
  /** The file it came from, or undefined for the built-in default. */
  readonly source: string | undefined;
  readonly providers: Readonly<Record<string, ProviderConfig>>;
  readonly routes: readonly RouteConfig[];
  readonly defaultRoute: RouteConfig | undefined;
  /** Look for credentials in the environment before asking any provider. */
  readonly envLookup: boolean;
  readonly cacheStore: CacheStoreSetting;
}

export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_CACHE_TTL_MS = 15 * 60_000;
/** Long enough to spare a burst of pulls of public images a remote call each, short enough that a newly added secret shows up soon. */
export const DEFAULT_NEGATIVE_TTL_MS = 45_000;

/** With no config file: everything goes to the encrypted local store. */
export const BUILTIN_CONFIG: BridgeConfig = {
  source: undefined,
  providers: { local: { type: 'local', options: {}, cacheId: 'local-builtin' } },
  routes: [],
  defaultRoute: {
    label: 'default',
    match: ['*'],
    matchers: [{ host: '', port: undefined, any: true }],
    provider: 'local',
    write: undefined,
    onError: 'fail',
    timeoutMs: DEFAULT_TIMEOUT_MS,
    env: undefined,
    // the local store's reads are served from a copy in the kernel keyring (CACHE_KINDS.local)
    cache: { ttlMs: DEFAULT_CACHE_TTL_MS, negativeTtlMs: DEFAULT_NEGATIVE_TTL_MS, staleIfErrorMs: undefined, store: 'keyutils' },
  },
  envLookup: true,
  cacheStore: 'auto',
};
