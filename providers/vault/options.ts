import * as v from 'valibot';

export const TYPE = 'vault';

const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A mount or auth path: `secret`, `team/kv`, `approle` (a trailing slash is tolerated). */
const MOUNT = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*\/?$/;

const envVar = (what: string) => v.pipe(v.string(), v.regex(ENV_VAR, 'must be an environment variable name'), v.description(what));
const file = (what: string) => v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.description(`${what} (a leading ~/ is your home directory)`));
const mount = (what: string) => v.pipe(v.string(), v.regex(MOUNT, 'must be a path like secret or team/kv'), v.description(what));
const cacheToken = v.optional(
  v.pipe(v.boolean(), v.description('Keep the login token in the OS keychain until shortly before it expires (default true)')),
  true,
);
const role = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.description('Vault role to log in as'));

/**
 * Where `{registry}` is the normalised registry key (`ghcr.io`, `reg.corp:5000`, `docker.io/access-token`):
 * whole path segments only, so `list` can walk the prefix and give the keys back.
 */
const PATH_TEMPLATE = /^(?:[^/{}]+\/)*\{registry\}(?:\/[^/{}]+)*$/;

/** How the bridge authenticates to Vault. Secrets themselves are never in the config: it names variables or files. */
export const vaultAuthSchema = v.variant('method', [
  v.strictObject({
    /** A Vault token: `tokenEnv` (default VAULT_TOKEN), else `tokenFile` (default ~/.vault-token). */
    method: v.literal('token'),
    tokenEnv: v.optional(envVar('Variable holding the token (default VAULT_TOKEN)')),
    tokenFile: v.optional(file('File holding the token (default ~/.vault-token)')),
  }),
  v.strictObject({
    /** AppRole: role id and secret id, each from a variable or a file. */
    method: v.literal('approle'),
    mount: v.optional(mount('Auth mount (default approle)')),
    roleIdEnv: v.optional(envVar('Variable holding the role id (default VAULT_ROLE_ID)')),
    roleIdFile: v.optional(file('File holding the role id')),
    secretIdEnv: v.optional(envVar('Variable holding the secret id (default VAULT_SECRET_ID)')),
    secretIdFile: v.optional(file('File holding the secret id')),
    cacheToken,
  }),
  v.strictObject({
    /** JWT/OIDC (CI id tokens): a signed JWT from a variable or a file, exchanged for a Vault token. */
    method: v.literal('jwt'),
    mount: v.optional(mount('Auth mount (default jwt)')),
    role,
    jwtEnv: v.optional(envVar('Variable holding the JWT (e.g. VAULT_ID_TOKEN in GitLab CI)')),
    jwtFile: v.optional(file('File holding the JWT')),
    cacheToken,
  }),
  v.strictObject({
    /** Kubernetes: the pod's service account token, exchanged for a Vault token. */
    method: v.literal('kubernetes'),
    mount: v.optional(mount('Auth mount (default kubernetes)')),
    role,
    jwtFile: v.optional(file('Service account token file (default /var/run/secrets/kubernetes.io/serviceaccount/token)')),
    cacheToken,
  }),
]);

/** TLS to Vault. Each field falls back to the standard variable named in its description. */
export const vaultTlsSchema = v.strictObject({
  caCert: v.optional(file('PEM file of the CA(s) to trust instead of the system ones (VAULT_CACERT)')),
  caPath: v.optional(file('Directory of PEM CA files to trust (VAULT_CAPATH)')),
  clientCert: v.optional(file('PEM client certificate (VAULT_CLIENT_CERT)')),
  clientKey: v.optional(file('PEM client key (VAULT_CLIENT_KEY)')),
  serverName: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Name to verify the server certificate against (VAULT_TLS_SERVER_NAME)'))),
  skipVerify: v.optional(v.pipe(v.boolean(), v.description('Do not verify the server certificate; prints a warning on every call (VAULT_SKIP_VERIFY)'))),
});

/** `vault`: credentials in a KV secrets engine of HashiCorp Vault or OpenBao. */
export const vaultOptionsSchema = v.strictObject({
  type: v.literal(TYPE),
  /** Server URL; default VAULT_ADDR, else https://127.0.0.1:8200 (as the vault CLI). */
  address: v.optional(
    v.pipe(v.string(), v.url('must be a URL'), v.regex(/^https?:\/\//i, 'must start with http:// or https://'), v.description('Vault server URL (default $VAULT_ADDR)')),
  ),
  /** Enterprise / OpenBao namespace; default VAULT_NAMESPACE. */
  namespace: v.optional(v.pipe(v.string(), v.regex(MOUNT, 'must be a namespace path like team or team/sub'), v.description('Namespace (default $VAULT_NAMESPACE)'))),
  /** KV mount (default secret). */
  mount: v.optional(mount('KV secrets engine mount (default secret)'), 'secret'),
  /** KV engine version of that mount (default 2). A mismatch is reported, never read as "not found". */
  kvVersion: v.optional(v.pipe(v.picklist([1, 2]), v.description('KV version of the mount: 1 or 2 (default 2)')), 2),
  /** Secret path under the mount (default docker/{registry}). */
  path: v.optional(
    v.pipe(
      v.string(),
      v.regex(PATH_TEMPLATE, 'must contain {registry} as whole path segments, e.g. docker/{registry} or teams/ci/{registry}/login'),
      v.check((value) => !value.split('/').some((s) => s === '.' || s === '..'), 'must not contain . or .. segments'),
      v.description('Secret path template under the mount; {registry} is the registry key, e.g. docker/{registry}'),
    ),
    'docker/{registry}',
  ),
  /** Field names inside each secret. */
  fields: v.optional(
    v.pipe(
      v.strictObject({
        username: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Field with the username (default username)'))),
        password: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Field with the password or token (default password)'))),
        serverURL: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Field where `store` keeps the ServerURL as the client sent it, for `list` (default server_url)'))),
      }),
      v.description('Field names inside each secret'),
    ),
  ),
  /** KV v2: write with check-and-set against the version just read (needed on mounts with cas_required). */
  cas: v.optional(v.pipe(v.boolean(), v.description('KV v2: check-and-set writes (default false; needed where the mount has cas_required)')), false),
  /** KV v2 erase: `latest` soft-deletes the current version (recoverable, like `vault kv delete`); `all` removes every version and the metadata. */
  erase: v.optional(v.pipe(v.picklist(['latest', 'all']), v.description('KV v2 erase: latest (soft-delete the current version, default) | all (delete all versions and metadata)')), 'latest'),
  auth: v.optional(v.pipe(vaultAuthSchema, v.description('How to authenticate (default: token from $VAULT_TOKEN or ~/.vault-token)'))),
  tls: v.optional(v.pipe(vaultTlsSchema, v.description('TLS settings; each falls back to the standard VAULT_* variable'))),
});

// Input types: the compiled config carries the defaults, but the provider applies them itself too,
// so `{type: vault}` alone (and a test's partial options) behaves the same.
export type VaultOptions = Omit<v.InferInput<typeof vaultOptionsSchema>, 'type'>;
export type VaultAuthOptions = v.InferInput<typeof vaultAuthSchema>;
export type VaultTlsOptions = v.InferInput<typeof vaultTlsSchema>;
