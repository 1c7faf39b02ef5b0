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
}

export interface BridgeConfig {
  /** The file it came from, or undefined for the built-in default. */
  readonly source: string | undefined;
  readonly providers: Readonly<Record<string, ProviderConfig>>;
  readonly routes: readonly RouteConfig[];
  readonly defaultRoute: RouteConfig | undefined;
  /** Look for credentials in the environment before asking any provider. */
  readonly envLookup: boolean;
}

export const DEFAULT_TIMEOUT_MS = 5_000;

/** With no config file: everything goes to the encrypted local store. */
export const BUILTIN_CONFIG: BridgeConfig = {
  source: undefined,
  providers: { local: { type: 'local', options: {} } },
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
  },
  envLookup: true,
};
