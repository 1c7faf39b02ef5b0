/**
 * The contract between the resolver and every backend. A provider knows nothing of the
 * protocol, stdin or routing; the resolver knows nothing of any backend's API.
 */
import type { RegistryKey } from '../src/server-url.js';

export type { RegistryKey };

/** A registry credential. Username `<token>` means Secret is an identity token; kept verbatim. */
export interface Credential {
  readonly serverURL: string;
  readonly username: string;
  readonly secret: string;
  /** Epoch ms after which the backend says it stops working (ECR token, Vault lease); caches never keep it longer. */
  readonly expiresAt?: number;
}

/** What `list` reports per stored registry: never the secret. */
export interface ListedCredential {
  readonly serverURL: string;
  readonly username: string;
}

/** Structured, secret-free diagnostics. Fields are scalars only, so a credential cannot be logged. */
export interface Logger {
  /** A one-line note the user should see (stderr). */
  note(message: string): void;
  /** Shown only with DOCKER_CREDENTIAL_BRIDGE_DEBUG=1. */
  debug(event: string, fields?: Record<string, string | number | boolean | undefined>): void;
}

/** Per-call context: every backend call runs under the route's deadline. */
export interface CallContext {
  readonly signal: AbortSignal;
}

/** What a provider factory gets besides its own options. */
export interface ProviderContext {
  /** The provider's name in the config (`providers.<name>`), for messages. */
  readonly name: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: Logger;
  /** Directories the bridge owns (0700). */
  readonly dataDir: string;
  readonly cacheDir: string;
}

/**
 * `get` is required; writers are optional. A provider without `store`/`erase` is read-only and
 * the route's write policy decides what `docker login` sees.
 */
export interface Provider {
  /** undefined means "not found": a normal answer, not a failure. Failures throw. */
  get(registry: RegistryKey, call: CallContext): Promise<Credential | undefined>;
  store?(registry: RegistryKey, credential: Credential, call: CallContext): Promise<void>;
  /** Erasing what is not there succeeds (clients crash on a failed erase). */
  erase?(registry: RegistryKey, call: CallContext): Promise<void>;
  /** Keys (normalised) to what clients should see. */
  list?(call: CallContext): Promise<Map<string, ListedCredential>>;
}

/**
 * What every provider module exports. Named exports, not `default`: the build turns each
 * module into its own CommonJS file and named exports survive that interop unchanged.
 */
export type ProviderFactory<Options = Record<string, unknown>> = (
  options: Options,
  context: ProviderContext,
) => Provider | Promise<Provider>;

/**
 * - `remote`: a backend across the network; answers go to the cache's stores (keyutils first, then
 *   Secret Service).
 * - `kernel`: the data already lives on this machine, in a keychain or an encrypted file, so only a
 *   copy that is faster to read than those is worth keeping: the kernel keyring (a syscall, against
 *   a D-Bus session with a key exchange or an age decryption), never Secret Service.
 */
export type CacheKind = 'remote' | 'kernel';

export interface ProviderModule {
  readonly TYPE: string;
  readonly create: ProviderFactory<never>;
  /** How the bridge may cache this provider's answers (src/cache/); absent: never (the environment). */
  readonly CACHE?: CacheKind;
}
