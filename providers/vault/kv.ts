/**
 * The KV secrets engine, versions 1 and 2, over the narrow VaultApi. Answers are validated here,
 * at the boundary; HTTP failures propagate raw (index.ts maps them in one place, after the
 * re-login retry has seen the status).
 *
 * A wrong KV version must not look like "not found": a v2 read on a v1 mount is a plain 404. So
 * a 404 (and every write) first confirms the mount's engine and version, once per provider.
 */
import * as v from 'valibot';
import { ProviderError } from '../../src/errors.js';
import type { VaultApi } from './client.js';
import { deniedError, statusOf } from './errors.js';

export type KvVersion = 1 | 2;
export type EraseMode = 'latest' | 'all';

/** Deepest directory nesting `list` walks under the template's prefix. */
const MAX_DEPTH = 16;
/** Parallel requests while listing. */
const CONCURRENCY = 8;

const secretV1 = v.object({ data: v.record(v.string(), v.unknown()) });
const secretV2 = v.object({ data: v.object({ data: v.nullable(v.record(v.string(), v.unknown())) }) });
const listing = v.object({ data: v.object({ keys: v.array(v.string()) }) });
const metadata = v.object({ data: v.object({ current_version: v.pipe(v.number(), v.integer(), v.minValue(0)) }) });
const mountInfo = v.object({
  data: v.object({
    type: v.string(),
    path: v.optional(v.string()),
    options: v.nullish(v.record(v.string(), v.unknown())),
  }),
});

export class Kv {
  private mountChecked = false;

  constructor(
    readonly mount: string,
    readonly version: KvVersion,
    private readonly who: string,
  ) {}

  private fail(message: string): ProviderError {
    return new ProviderError(`${this.who}: ${message}`);
  }

  private dataPath(path: string): string {
    return this.version === 2 ? `${this.mount}/data/${path}` : `${this.mount}/${path}`;
  }

  private metadataPath(path: string): string {
    return this.version === 2 ? `${this.mount}/metadata/${path}` : `${this.mount}/${path}`;
  }

  private parse<S extends v.GenericSchema>(schema: S, answer: unknown, action: string): v.InferOutput<S> {
    const parsed = v.safeParse(schema, answer);
    if (!parsed.success) throw this.fail(`unexpected answer from Vault ${action}`);
    return parsed.output;
  }

  /**
   * Confirms that `mount` is a KV engine of the configured version (the check the vault CLI makes
   * before `vault kv` commands). The endpoint answers any token with some access under the mount;
   * a 403 or 404 means there is no such mount for this token.
   */
  async checkMount(api: VaultApi, token: string): Promise<void> {
    if (this.mountChecked) return;
    let answer: unknown;
    try {
      answer = await api.read(`sys/internal/ui/mounts/${this.mount}`, token);
    } catch (error) {
      const status = statusOf(error);
      if (status === 403 || status === 404 || status === 400) throw deniedError(`${this.who}: no access to ${this.mount}/: the token's policy allows nothing under it, or there is no such mount`);
      throw error;
    }
    const { data } = this.parse(mountInfo, answer, `describing the mount ${this.mount}/`);
    if (data.type !== 'kv' && data.type !== 'generic') throw this.fail(`${this.mount}/ is a ${data.type} mount, not a KV secrets engine`);
    if (data.path !== undefined && data.path.replace(/\/+$/, '') !== this.mount) {
      throw this.fail(`${this.mount} is not a mount itself but a path inside ${data.path}; set mount: ${data.path.replace(/\/+$/, '')}`);
    }
    const version = String(data.options?.version ?? '1') === '2' ? 2 : 1;
    if (version !== this.version) {
      throw this.fail(`${this.mount}/ is a KV version ${version} mount, but the provider is set to kvVersion: ${this.version}`);
    }
    this.mountChecked = true;
  }

  /** The secret's fields, or undefined when there is none (or its latest version is deleted). */
  async read(api: VaultApi, token: string, path: string): Promise<Record<string, unknown> | undefined> {
    let answer: unknown;
    try {
      answer = await api.read(this.dataPath(path), token);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      await this.checkMount(api, token);
      return undefined;
    }
    const action = `reading ${this.mount}/${path}`;
    if (this.version === 1) return this.parse(secretV1, answer, action).data;
    return this.parse(secretV2, answer, action).data.data ?? undefined;
  }

  /** Writes the fields as the secret's new content (KV v2: a new version, check-and-set when asked). */
  async write(api: VaultApi, token: string, path: string, fields: Record<string, string>, cas: boolean): Promise<void> {
    await this.checkMount(api, token);
    if (this.version === 1) {
      await api.write(this.dataPath(path), fields, token);
      return;
    }
    let options: Record<string, number> | undefined;
    if (cas) options = { cas: await this.currentVersion(api, token, path) };
    await api.write(this.dataPath(path), options === undefined ? { data: fields } : { data: fields, options }, token);
  }

  /** KV v2: the version a check-and-set write must name (0 when the secret does not exist). */
  private async currentVersion(api: VaultApi, token: string, path: string): Promise<number> {
    try {
      return this.parse(metadata, await api.read(this.metadataPath(path), token), `reading the metadata of ${this.mount}/${path}`).data.current_version;
    } catch (error) {
      if (statusOf(error) === 404) return 0;
      throw error;
    }
  }

  /** Deletes the secret; deleting what is not there succeeds. */
  async remove(api: VaultApi, token: string, path: string, mode: EraseMode): Promise<void> {
    await this.checkMount(api, token);
    const target = this.version === 2 && mode === 'all' ? this.metadataPath(path) : this.dataPath(path);
    try {
      await api.delete(target, token);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /** Every secret path under `dir` ('' or ending in '/'), recursively, relative to the mount. */
  async listAll(api: VaultApi, token: string, dir: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (at: string, depth: number): Promise<void> => {
      let answer: unknown;
      try {
        answer = await api.list(this.metadataPath(at), token);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
        if (at === dir) await this.checkMount(api, token);
        return;
      }
      const { keys } = this.parse(listing, answer, `listing ${this.mount}/${at}`).data;
      const dirs: string[] = [];
      for (const key of keys) {
        if (key.endsWith('/')) {
          if (depth < MAX_DEPTH) dirs.push(`${at}${key}`);
        } else found.push(`${at}${key}`);
      }
      await mapLimited(dirs, CONCURRENCY, (sub) => walk(sub, depth + 1));
    };
    await walk(dir, 0);
    return found.sort();
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; results in input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
