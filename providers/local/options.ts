import * as v from 'valibot';

export const TYPE = 'local';

/** `local`: the embedded default store, encrypted at rest on this machine. */
export const localOptionsSchema = v.strictObject({
  type: v.literal(TYPE),
  /**
   * auto: the OS keychain when it answers, else the age-encrypted file;
   * keychain: the OS keychain only (fail when it is unusable); file: the age-encrypted file only.
   */
  store: v.optional(v.pipe(v.picklist(['auto', 'keychain', 'file']), v.description('auto | keychain | file')), 'auto'),
  /** Directory of the encrypted file store (default: $XDG_DATA_HOME/docker-credential-bridge). */
  dir: v.optional(v.pipe(v.string(), v.minLength(1), v.description('Directory for the encrypted file store'))),
});

export type LocalOptions = Partial<Omit<v.InferOutput<typeof localOptionsSchema>, 'type'>>;
