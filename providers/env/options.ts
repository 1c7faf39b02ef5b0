import * as v from 'valibot';

export const TYPE = 'env';

/** `env`: read-only credentials from environment variables (CI machines). */
export const envOptionsSchema = v.strictObject({
  type: v.literal(TYPE),
  /** Variable holding the username, e.g. CI_REGISTRY_USER. With `password`, serves that pair for every registry routed here. */
  username: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), v.description('Variable that holds the username'))),
  /** Variable holding the password or token, e.g. CI_REGISTRY_PASSWORD. */
  password: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), v.description('Variable that holds the password or token'))),
});

export type EnvOptions = Omit<v.InferOutput<typeof envOptionsSchema>, 'type'>;
