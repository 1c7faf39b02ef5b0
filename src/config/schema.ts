import * as v from 'valibot';
import { envOptionsSchema } from '../../providers/env/options.js';
import { localOptionsSchema } from '../../providers/local/options.js';
import { vaultOptionsSchema } from '../../providers/vault/options.js';

/**
 * The one source of the config's shape. config/schema.json is generated from it
 * (scripts/generate-schema.ts) and a test fails when the two drift apart.
 */
export const PROVIDER_OPTION_SCHEMAS = {
  env: envOptionsSchema,
  local: localOptionsSchema,
  vault: vaultOptionsSchema,
} as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DURATION = /^\d+(?:ms|s|m|h)$/;

const duration = v.union([
  v.pipe(v.number(), v.integer(), v.minValue(1), v.description('milliseconds')),
  v.pipe(v.string(), v.regex(DURATION, 'must be a duration like 500ms, 5s, 2m or 1h')),
]);

/** A duration that may also be 0 (meaning: never). */
const durationOrZero = v.union([
  v.pipe(v.number(), v.integer(), v.minValue(0), v.description('milliseconds')),
  v.pipe(v.string(), v.regex(DURATION, 'must be a duration like 500ms, 5s, 2m or 1h')),
]);

const cacheTimes = {
  ttl: v.optional(v.pipe(duration, v.description('Longest time a credential is kept (default 15m); a shorter expiry reported by the backend wins; refreshed after half of it'))),
  staleIfError: v.optional(
    v.pipe(
      v.union([durationOrZero, v.literal(false)]),
      v.description('How long past the refresh point a cached credential is still served when the backend fails (default: until it expires; 0 or false: never)'),
    ),
  ),
  negativeTtl: v.optional(v.pipe(durationOrZero, v.description('How long a backend "not found" is remembered (default 45s; 0: not at all)'))),
};

/** `cache` on a provider: how long its answers may be kept. */
const providerCacheSchema = v.optional(v.pipe(v.strictObject({ ttl: cacheTimes.ttl }), v.description('Cache settings for this provider (remote providers only)')));

/** `cache` on a route: its own times, or false to never cache it. */
const routeCacheSchema = v.optional(
  v.pipe(v.union([v.literal(false), v.strictObject(cacheTimes)]), v.description('Cache settings for this route, or false to ask the provider on every call')),
);

const routeFields = {
  provider: v.pipe(v.string(), v.regex(NAME, 'must be a provider name'), v.description('Name of a provider under `providers`')),
  write: v.optional(
    v.pipe(
      v.picklist(['forward', 'ignore', 'refuse']),
      v.description('What `store`/`erase` do: forward to the provider, ignore with a note, or refuse. Default: forward, or ignore for read-only providers'),
    ),
  ),
  onError: v.optional(
    v.pipe(v.picklist(['fail', 'not-found']), v.description('When the provider fails: fail (default) or answer not found so clients go on anonymously')),
  ),
  timeout: v.optional(v.pipe(duration, v.description('Deadline for each provider call (default 5s)'))),
  cache: routeCacheSchema,
  env: v.optional(
    v.pipe(
      v.strictObject({
        username: v.pipe(v.string(), v.regex(ENV_VAR, 'must be an environment variable name')),
        password: v.pipe(v.string(), v.regex(ENV_VAR, 'must be an environment variable name')),
      }),
      v.description('Environment variables that hold this route\'s credentials (e.g. CI_REGISTRY_USER / CI_REGISTRY_PASSWORD); consulted before the provider'),
    ),
  ),
};

const pattern = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.description('Host glob: ghcr.io, *.example.com, registry.corp:5000, **'));

export const routeSchema = v.strictObject({
  match: v.pipe(v.union([pattern, v.pipe(v.array(pattern), v.minLength(1, 'must list at least one pattern'))]), v.description('Host glob(s); first matching route wins')),
  ...routeFields,
});

export const configSchema = v.pipe(
  v.strictObject({
    $schema: v.optional(v.string()),
    providers: v.pipe(
      v.record(
        v.pipe(v.string(), v.regex(NAME, 'must be a name of letters, digits, _ . -')),
        // Every provider also takes `cache` (the bridge's setting, split off before the provider sees its options).
        v.variant(
          'type',
          Object.values(PROVIDER_OPTION_SCHEMAS).map((schema) => v.strictObject({ ...schema.entries, cache: providerCacheSchema })),
        ),
      ),
      v.description('Named backends; `type` selects the provider'),
    ),
    routes: v.optional(v.pipe(v.array(routeSchema), v.description('Ordered rules; the first whose match fits the registry wins'))),
    default: v.optional(v.pipe(v.strictObject(routeFields), v.description('Route for registries that match no rule; without it they answer not found at once'))),
    cache: v.optional(
      v.pipe(
        v.strictObject({
          ...cacheTimes,
          store: v.optional(
            v.pipe(
              v.picklist(['auto', 'keyutils', 'secret-service', 'off']),
              v.description('Where cached credentials live: auto (kernel keyring, else Secret Service on Linux; the OS keychain elsewhere), keyutils, secret-service, or off'),
            ),
          ),
        }),
        v.description('The credential cache in the OS keychain, for remote providers'),
      ),
    ),
    env: v.optional(
      v.pipe(
        v.strictObject({ lookup: v.optional(v.boolean()) }),
        v.description('lookup (default true): look for credentials in environment variables before any provider'),
      ),
    ),
  }),
  v.description('docker-credential-bridge configuration'),
);

export type ConfigInput = v.InferInput<typeof configSchema>;
export type ConfigOutput = v.InferOutput<typeof configSchema>;
