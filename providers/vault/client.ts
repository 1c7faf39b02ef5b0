/**
 * The narrow interface between the provider and node-vault: connection settings from config and
 * the standard VAULT_* variables, node-vault loaded on first use, and every request under the
 * call's deadline. node-vault's low-level request takes no AbortSignal, so each call gets its own
 * connection agent, and the deadline destroys that agent's sockets: the request really stops
 * (nothing keeps talking to a black hole after we answered).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type NodeVault from 'node-vault';
import { ProviderError } from '../../src/errors.js';
import type { Logger } from '../types.js';
import { DeadlineError } from './errors.js';
import type { VaultOptions } from './options.js';
import { toUrlPath } from './paths.js';

type Env = Readonly<Record<string, string | undefined>>;

/** As the vault CLI: VAULT_ADDR, else https://127.0.0.1:8200. */
export const DEFAULT_ADDRESS = 'https://127.0.0.1:8200';

export interface Connection {
  /** Base URL without a trailing slash (may include a path prefix, as behind a proxy). */
  readonly address: string;
  /** The address as messages show it: no userinfo, query or fragment. */
  readonly displayAddress: string;
  readonly namespace: string | undefined;
  readonly tls: {
    readonly ca?: Buffer[];
    readonly cert?: Buffer;
    readonly key?: Buffer;
    readonly servername?: string;
    readonly rejectUnauthorized: boolean;
  };
}

/** `~/x` → `$HOME/x`: config files name paths the way users type them. */
export function expandHome(path: string, env: Env): string {
  return path === '~' || path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(1)) : path;
}

/** Go's strconv.ParseBool, which the vault CLI applies to VAULT_SKIP_VERIFY. */
function parseBool(name: string, value: string, fail: (m: string) => ProviderError): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw fail(`${name} must be true or false`);
}

/** Reads connection settings without any network call; a bad setting fails here, at once. */
export function resolveConnection(options: VaultOptions, env: Env, log: Logger, who: string): Connection {
  const fail = (message: string) => new ProviderError(`${who}: ${message}`);
  const raw = options.address ?? (env.VAULT_ADDR || DEFAULT_ADDRESS);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw fail(`${options.address === undefined ? 'VAULT_ADDR' : 'address'} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('the Vault address must start with http:// or https://');
  if (url.username !== '' || url.password !== '') throw fail('the Vault address must not contain a username or password');
  const base = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
  const namespace = (options.namespace ?? env.VAULT_NAMESPACE)?.replace(/^\/+|\/+$/g, '') || undefined;

  const tls = options.tls ?? {};
  const read = (what: string, path: string): Buffer => {
    const full = expandHome(path, env);
    try {
      return readFileSync(full);
    } catch (error) {
      throw fail(`cannot read ${what} ${full} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const ca: Buffer[] = [];
  const caCert = tls.caCert ?? (env.VAULT_CACERT || undefined);
  if (caCert !== undefined) ca.push(read('the CA file', caCert));
  const caPath = tls.caPath ?? (env.VAULT_CAPATH || undefined);
  if (caPath !== undefined) {
    const dir = expandHome(caPath, env);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      throw fail(`cannot read the CA directory ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const name of names) {
      const file = join(dir, name);
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      const pem = read('the CA file', file);
      if (pem.includes('-----BEGIN CERTIFICATE-----')) ca.push(pem);
    }
    if (ca.length === 0) throw fail(`no PEM certificate in the CA directory ${dir}`);
  }
  const certPath = tls.clientCert ?? (env.VAULT_CLIENT_CERT || undefined);
  const keyPath = tls.clientKey ?? (env.VAULT_CLIENT_KEY || undefined);
  if ((certPath === undefined) !== (keyPath === undefined)) throw fail('a client certificate needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY (tls.clientCert and tls.clientKey)');
  const skipVerify = tls.skipVerify ?? (env.VAULT_SKIP_VERIFY ? parseBool('VAULT_SKIP_VERIFY', env.VAULT_SKIP_VERIFY, fail) : false);
  if (skipVerify && url.protocol === 'https:') {
    log.note(`${who}: TLS certificate verification is OFF for ${base} (VAULT_SKIP_VERIFY / tls.skipVerify): anyone on the network path can read these credentials`);
  }
  const servername = tls.serverName ?? (env.VAULT_TLS_SERVER_NAME || undefined);
  return {
    address: base,
    displayAddress: base,
    namespace,
    tls: {
      ...(ca.length > 0 ? { ca } : {}),
      ...(certPath !== undefined && keyPath !== undefined ? { cert: read('the client certificate', certPath), key: read('the client key', keyPath) } : {}),
      ...(servername !== undefined ? { servername } : {}),
      rejectUnauthorized: !skipVerify,
    },
  };
}

export type LoginMethod = 'approle' | 'jwt' | 'kubernetes';

/** What the provider needs from Vault. Answers are raw JSON: callers validate them. */
export interface VaultApi {
  read(path: string, token: string): Promise<unknown>;
  write(path: string, body: Record<string, unknown>, token: string): Promise<unknown>;
  list(path: string, token: string): Promise<unknown>;
  delete(path: string, token: string): Promise<unknown>;
  login(method: LoginMethod, mount: string, body: Record<string, string>): Promise<unknown>;
}

type Client = NodeVault.client;

/** One provider call's view of Vault: its requests end at the deadline, its sockets with it. */
export class VaultSession implements VaultApi {
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly aborted: Promise<never>;
  private readonly onAbort: () => void;

  constructor(
    private readonly client: Client,
    connection: Connection,
    private readonly signal: AbortSignal,
  ) {
    // keepAlive: `list` reads many secrets over one connection.
    this.agent = connection.address.startsWith('https:') ? new HttpsAgent({ keepAlive: true, ...connection.tls }) : new HttpAgent({ keepAlive: true });
    let reject: (error: Error) => void = () => {};
    this.aborted = new Promise<never>((_, r) => {
      reject = r;
    });
    this.aborted.catch(() => {}); // observed by each race; never an unhandled rejection
    this.onAbort = () => {
      this.agent.destroy();
      reject(new DeadlineError());
    };
    if (signal.aborted) this.onAbort();
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private options(token?: string): Record<string, unknown> {
    return {
      ...(token === undefined ? {} : { headers: { 'X-Vault-Token': token } }),
      httpAgent: this.agent,
      httpsAgent: this.agent,
    };
  }

  private async run<T>(start: () => Promise<T>): Promise<T> {
    if (this.signal.aborted) throw new DeadlineError();
    return Promise.race([start(), this.aborted]);
  }

  read(path: string, token: string): Promise<unknown> {
    return this.run(() => this.client.read(toUrlPath(path), this.options(token)));
  }

  write(path: string, body: Record<string, unknown>, token: string): Promise<unknown> {
    return this.run(() => this.client.write(toUrlPath(path), body, this.options(token)));
  }

  /** GET ?list=true rather than the LIST verb, which some proxies refuse. */
  list(path: string, token: string): Promise<unknown> {
    return this.run(() => this.client.read(`${toUrlPath(path)}?list=true`, this.options(token)));
  }

  delete(path: string, token: string): Promise<unknown> {
    return this.run(() => this.client.delete(toUrlPath(path), this.options(token)));
  }

  login(method: LoginMethod, mount: string, body: Record<string, string>): Promise<unknown> {
    const args = { ...body, mount_point: mount, requestOptions: this.options() };
    const call = { approle: this.client.approleLogin, jwt: this.client.jwtLogin, kubernetes: this.client.kubernetesLogin }[method];
    return this.run(async () => {
      try {
        return await call(args);
      } finally {
        // node-vault keeps the new token as its default; ours travels per request, in a header.
        this.client.token = '';
      }
    });
  }

  /** Frees the connection: a one-shot helper must not leave sockets behind. */
  close(): void {
    this.signal.removeEventListener('abort', this.onAbort);
    this.agent.destroy();
  }
}

/** Loads node-vault on first use (with axios it costs 80–130 ms to load: never on paths that do not need it). */
export class VaultTransport {
  private client: Promise<Client> | undefined;

  constructor(readonly connection: Connection) {}

  private load(): Promise<Client> {
    this.client ??= import('node-vault').then(({ default: createClient }) => {
      // node-vault reads VAULT_TOKEN, VAULT_NAMESPACE, VAULT_PREFIX and VAULT_SKIP_VERIFY from
      // process.env by itself; everything here is set from our settings instead (the provider's
      // environment is `context.env`, and TLS comes from the per-call agent).
      const settings: NodeVault.VaultOptions & { rpDefaults: { strictSSL: boolean } } = {
        endpoint: this.connection.address,
        rpDefaults: { strictSSL: true },
        // Its `debug` logger prints request bodies (secrets) when DEBUG=node-vault is set.
        debug: () => {},
      };
      const client = createClient(settings);
      client.token = '';
      const mutable = client as Client & { namespace?: string; pathPrefix?: string };
      mutable.namespace = this.connection.namespace ?? '';
      mutable.pathPrefix = '';
      return client;
    });
    return this.client;
  }

  async session(signal: AbortSignal): Promise<VaultSession> {
    if (signal.aborted) throw new DeadlineError();
    return new VaultSession(await this.load(), this.connection, signal);
  }
}
