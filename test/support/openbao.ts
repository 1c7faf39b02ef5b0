import { spawnSync } from 'node:child_process';
import { createSign, generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { join, resolve } from 'node:path';
import { type BackgroundProcess, freePort, missingCommands, runOk, startBackground, waitFor } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/**
 * A real OpenBao (the open-source Vault fork, same HTTP API) dev server for tests: in-memory
 * storage, 127.0.0.1 on random ports, its own HOME. Besides the plain HTTP listener it has a TLS
 * listener and a mutual-TLS listener (certificates made with openssl for the run), KV v1 and v2
 * mounts, AppRole, JWT (a local RSA key) and Kubernetes auth (its TokenReview calls answered by a
 * small HTTPS stand-in for the Kubernetes API in this process), a namespace, and a file audit log
 * to count what the server was asked.
 */
export interface OpenBao {
  /** http://127.0.0.1:PORT */
  readonly address: string;
  /** https://127.0.0.1:PORT, server certificate signed by `certs.ca`. */
  readonly tlsAddress: string;
  /** https://127.0.0.1:PORT that also requires a client certificate signed by `certs.ca`. */
  readonly mtlsAddress: string;
  readonly certs: { readonly ca: string; readonly caDir: string; readonly clientCert: string; readonly clientKey: string };
  readonly rootToken: string;
  /** Temp dir of this server (files the tests may write go here too). */
  readonly dir: string;
  /** KV mounts: `secret` (v2, the dev default), `kv1` (v1), `kv2` (v2, cas_required). */
  readonly mounts: { readonly v1: string; readonly v2: string; readonly v2Cas: string };
  /** A namespace holding its own `secret/` (KV v2); the root token works there. */
  readonly namespace: string;
  readonly approle: { readonly mount: string; readonly roleId: string; newSecretId(): Promise<string> };
  readonly jwt: { readonly mount: string; readonly role: string; sign(claims?: Record<string, unknown>): string };
  readonly kubernetes: { readonly mount: string; readonly role: string; readonly serviceAccountToken: string; reviews(): number };
  /** Calls the HTTP API as root (or `token`); resolves with status and parsed body, never throws on status. */
  api(method: string, path: string, body?: unknown, options?: { token?: string; namespace?: string }): Promise<ApiAnswer>;
  /** Like `api`, but throws unless 2xx. */
  apiOk(method: string, path: string, body?: unknown, options?: { token?: string; namespace?: string }): Promise<ApiAnswer>;
  /** A token with these policies (`bridge`: full access to the KV mounts; `readonly`; `default`: nothing). */
  createToken(policies: string[], ttl?: string): Promise<string>;
  /** Responses in the audit log whose request path is `path` (exact), e.g. `auth/approle/login`. */
  auditResponses(path: string): number;
  seal(): Promise<void>;
  unseal(): Promise<void>;
  stop(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** The `data` of an API answer, typed by the caller; throws when there is none. */
export function dataOf<T = Record<string, unknown>>(answer: ApiAnswer): T {
  const data = answer.body?.data;
  if (data === undefined || data === null) throw new Error(`OpenBao answer (HTTP ${answer.status}) has no data`);
  return data as T;
}

const BUILD_SCRIPT = resolve('test/servers/openbao/build.sh');

let binary: { path?: string; missing?: string } | undefined;

/**
 * The `bao` binary: $OPENBAO_BIN (set by .ci/run), else the build script's cached binary. Never
 * builds: a cold build takes minutes and has no place inside a test run.
 */
export function openbaoBinary(): { path?: string; missing?: string } {
  if (binary !== undefined) return binary;
  const fromEnv = process.env.OPENBAO_BIN;
  if (fromEnv) {
    try {
      accessSync(fromEnv, constants.X_OK);
      binary = { path: fromEnv };
    } catch {
      binary = { missing: `OPENBAO_BIN=${fromEnv} is not an executable file` };
    }
    return binary;
  }
  const cached = spawnSync('bash', [BUILD_SCRIPT, '--cached-only'], { encoding: 'utf8', timeout: 10_000 });
  const path = cached.stdout?.trim();
  binary =
    cached.status === 0 && path && existsSync(path)
      ? { path }
      : { missing: 'no OpenBao binary: build it once with `bash test/servers/openbao/build.sh` (~10 min, cached), or set OPENBAO_BIN' };
  return binary;
}

/** Why an OpenBao fixture cannot run here, or undefined. */
export function openbaoMissing(): string | undefined {
  return openbaoBinary().missing ?? missingCommands('openssl');
}

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate (EC P-256, openssl). */
async function makeCertificates(dir: string): Promise<OpenBao['certs'] & { serverCert: string; serverKey: string }> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const at = (name: string) => join(dir, name);
  await runOk(['openssl', 'req', '-x509', ...ec, '-subj', '/CN=bridge-test-ca', '-days', '2', '-keyout', at('ca.key'), '-out', at('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'],
    ['client', 'bridge-test-client', 'extendedKeyUsage=clientAuth\n'],
  ] as const) {
    writeFileSync(at(`${name}.ext`), ext);
    await runOk(['openssl', 'req', ...ec, '-subj', `/CN=${cn}`, '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)]);
    await runOk(['openssl', 'x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', at(`${name}.ext`), '-out', at(`${name}.pem`)]);
  }
  const caDir = at('ca-dir');
  mkdirSync(caDir);
  writeFileSync(join(caDir, 'bridge-test-ca.pem'), readFileSync(at('ca.pem')));
  writeFileSync(join(caDir, 'README'), 'not a certificate: CAPATH readers must skip it\n');
  return { ca: at('ca.pem'), caDir, clientCert: at('client.pem'), clientKey: at('client.key'), serverCert: at('server.pem'), serverKey: at('server.key') };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signJwt(key: KeyObject, claims: Record<string, unknown>): string {
  const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${base64url(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url')}`;
}

/**
 * The one Kubernetes API call the kubernetes auth method makes: a TokenReview. Answers
 * "authenticated" for exactly the service account token we issued, if the reviewer token matches.
 */
async function startTokenReviewer(cert: string, key: string, reviewerJwt: string, serviceAccountToken: string): Promise<{ url: string; server: Server; reviews: () => number }> {
  let reviews = 0;
  const server = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      reviews++;
      let token: unknown;
      try {
        token = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { spec?: { token?: unknown } }).spec?.token;
      } catch {
        token = undefined;
      }
      const authorized = req.headers.authorization === `Bearer ${reviewerJwt}`;
      const ok = authorized && req.method === 'POST' && req.url === '/apis/authentication.k8s.io/v1/tokenreviews' && token === serviceAccountToken;
      res.writeHead(authorized ? 201 : 401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'TokenReview',
          apiVersion: 'authentication.k8s.io/v1',
          status: ok ? { authenticated: true, user: { username: 'system:serviceaccount:ci:builder', uid: 'sa-uid-1', groups: ['system:serviceaccounts'] } } : { authenticated: false },
        }),
      );
    });
  });
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ready());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `https://127.0.0.1:${port}`, server, reviews: () => reviews };
}

const KV_RW = '["create", "read", "update", "delete", "list", "patch"]';
const POLICIES: Record<string, string> = {
  bridge: ['secret', 'kv1', 'kv2'].map((m) => `path "${m}/*" { capabilities = ${KV_RW} }`).join('\n'),
  readonly: ['path "secret/data/*" { capabilities = ["read"] }', 'path "secret/metadata/*" { capabilities = ["read", "list"] }', 'path "kv1/*" { capabilities = ["read", "list"] }'].join('\n'),
};

export async function startOpenBao(): Promise<OpenBao> {
  const bin = openbaoBinary().path;
  if (bin === undefined) throw new Error(openbaoBinary().missing);
  const dir = makeTempDir('bridge-openbao-');
  let server: BackgroundProcess | undefined;
  let reviewer: Server | undefined;
  const stop = async (): Promise<void> => {
    await server?.stop();
    server = undefined;
    await new Promise<void>((done) => (reviewer ? reviewer.close(() => done()) : done()));
    reviewer = undefined;
    await removeTempDir(dir);
  };
  try {
    const home = join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    const certs = await makeCertificates(dir);
    const rootToken = `root-${randomBytes(12).toString('hex')}`;
    const audit = join(dir, 'audit.log');

    let ports: number[] = [];
    for (let attempt = 1; ; attempt++) {
      ports = await Promise.all([freePort(), freePort(), freePort()]);
      if (new Set(ports).size < 3) continue;
      const [, tlsPort, mtlsPort] = ports;
      // JSON strings are valid HCL strings: the temp paths are quoted safely.
      const q = JSON.stringify;
      const config = [
        'disable_clustering = true',
        `audit "file" "test" {\n  options {\n    file_path = ${q(audit)}\n  }\n}`,
        `listener "tcp" {\n  address = "127.0.0.1:${tlsPort}"\n  tls_cert_file = ${q(certs.serverCert)}\n  tls_key_file = ${q(certs.serverKey)}\n}`,
        `listener "tcp" {\n  address = "127.0.0.1:${mtlsPort}"\n  tls_cert_file = ${q(certs.serverCert)}\n  tls_key_file = ${q(certs.serverKey)}\n  tls_client_ca_file = ${q(certs.ca)}\n  tls_require_and_verify_client_cert = true\n}`,
      ].join('\n');
      writeFileSync(join(dir, 'extra.hcl'), `${config}\n`);
      const address = `http://127.0.0.1:${ports[0]}`;
      // The root token goes in through the environment (BAO_DEV_ROOT_TOKEN_ID), never argv.
      const candidate = await startBackground(
        [bin, 'server', '-dev', `-dev-listen-address=127.0.0.1:${ports[0]}`, '-dev-no-store-token', `-config=${join(dir, 'extra.hcl')}`],
        { env: { HOME: home, BAO_DEV_ROOT_TOKEN_ID: rootToken, VAULT_ADDR: undefined, VAULT_TOKEN: undefined, BAO_ADDR: undefined, BAO_TOKEN: undefined }, cwd: dir },
      );
      server = candidate;
      try {
        await waitFor(
          async () => {
            if (candidate.exited()) throw new Error(`bao exited: ${candidate.stdout()}${candidate.stderr()}`);
            const response = await fetch(`${address}/v1/sys/health`, { signal: AbortSignal.timeout(2_000) });
            await response.arrayBuffer();
            return response.status === 200;
          },
          30_000,
          'OpenBao /v1/sys/health answering 200',
        );
        break;
      } catch (error) {
        await candidate.stop();
        server = undefined;
        if (attempt >= 3) throw error;
      }
    }
    const running = server as BackgroundProcess;
    const [port, tlsPort, mtlsPort] = ports;
    const address = `http://127.0.0.1:${port}`;

    const api = async (method: string, path: string, body?: unknown, options: { token?: string; namespace?: string } = {}): Promise<ApiAnswer> => {
      const response = await fetch(`${address}/v1/${path}`, {
        method,
        headers: {
          'X-Vault-Token': options.token ?? rootToken,
          ...(options.namespace ? { 'X-Vault-Namespace': options.namespace } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
    };
    const apiOk = async (method: string, path: string, body?: unknown, options?: { token?: string; namespace?: string }): Promise<ApiAnswer> => {
      const answer = await api(method, path, body, options);
      if (answer.status < 200 || answer.status > 299) throw new Error(`OpenBao ${method} ${path}: HTTP ${answer.status} ${JSON.stringify(answer.body?.errors ?? '')}`);
      return answer;
    };
    const data = (answer: ApiAnswer) => dataOf(answer);

    // KV: secret/ is v2 already; kv1/ (v1) and kv2/ (v2 with check-and-set required).
    await apiOk('POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } });
    await apiOk('POST', 'sys/mounts/kv2', { type: 'kv', options: { version: '2' } });
    await apiOk('POST', 'kv2/config', { cas_required: true });
    for (const [name, policy] of Object.entries(POLICIES)) await apiOk('PUT', `sys/policies/acl/${name}`, { policy });
    const namespace = 'team';
    await apiOk('POST', `sys/namespaces/${namespace}`, {});
    await apiOk('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } }, { namespace });

    // AppRole
    await apiOk('POST', 'sys/auth/approle', { type: 'approle' });
    await apiOk('POST', 'auth/approle/role/bridge', { token_policies: ['bridge'], token_ttl: '1h', token_max_ttl: '2h' });
    const roleId = data(await apiOk('GET', 'auth/approle/role/bridge/role-id')).role_id as string;

    // JWT, validated with a key pair made here.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const issuer = 'https://ci.bridge.test';
    await apiOk('POST', 'sys/auth/jwt', { type: 'jwt' });
    await apiOk('POST', 'auth/jwt/config', { jwt_validation_pubkeys: [publicPem], bound_issuer: issuer });
    await apiOk('POST', 'auth/jwt/role/ci', { role_type: 'jwt', bound_audiences: ['docker-credential-bridge'], user_claim: 'sub', token_policies: ['bridge'], token_ttl: '1h' });

    // Kubernetes: service account tokens signed by the same key, reviewed by the stand-in API.
    const now = Math.floor(Date.now() / 1000);
    const serviceAccountToken = signJwt(privateKey, {
      iss: 'kubernetes/serviceaccount',
      sub: 'system:serviceaccount:ci:builder',
      'kubernetes.io/serviceaccount/namespace': 'ci',
      'kubernetes.io/serviceaccount/service-account.name': 'builder',
      'kubernetes.io/serviceaccount/service-account.uid': 'sa-uid-1',
      iat: now - 5,
      nbf: now - 5,
      exp: now + 6 * 3600,
    });
    const reviewerJwt = `reviewer-${randomBytes(8).toString('hex')}`;
    const kube = await startTokenReviewer(certs.serverCert, certs.serverKey, reviewerJwt, serviceAccountToken);
    reviewer = kube.server;
    await apiOk('POST', 'sys/auth/kubernetes', { type: 'kubernetes' });
    await apiOk('POST', 'auth/kubernetes/config', {
      kubernetes_host: kube.url,
      kubernetes_ca_cert: readFileSync(certs.ca, 'utf8'),
      token_reviewer_jwt: reviewerJwt,
      pem_keys: [publicPem],
      disable_local_ca_jwt: true,
    });
    await apiOk('POST', 'auth/kubernetes/role/builder', { bound_service_account_names: ['builder'], bound_service_account_namespaces: ['ci'], token_policies: ['bridge'], token_ttl: '1h' });

    return {
      address,
      tlsAddress: `https://127.0.0.1:${tlsPort}`,
      mtlsAddress: `https://127.0.0.1:${mtlsPort}`,
      certs: { ca: certs.ca, caDir: certs.caDir, clientCert: certs.clientCert, clientKey: certs.clientKey },
      rootToken,
      dir,
      mounts: { v1: 'kv1', v2: 'secret', v2Cas: 'kv2' },
      namespace,
      approle: {
        mount: 'approle',
        roleId,
        newSecretId: async () => data(await apiOk('POST', 'auth/approle/role/bridge/secret-id', {})).secret_id as string,
      },
      jwt: {
        mount: 'jwt',
        role: 'ci',
        sign: (claims = {}) => {
          const at = Math.floor(Date.now() / 1000);
          return signJwt(privateKey, { iss: issuer, aud: 'docker-credential-bridge', sub: 'ci-job-1', iat: at - 5, nbf: at - 5, exp: at + 600, ...claims });
        },
      },
      kubernetes: { mount: 'kubernetes', role: 'builder', serviceAccountToken, reviews: kube.reviews },
      api,
      apiOk,
      createToken: async (policies, ttl = '1h') => {
        const answer = await apiOk('POST', 'auth/token/create', { policies, ttl, no_default_policy: false });
        const auth = answer.body?.auth as { client_token?: string } | undefined;
        if (auth?.client_token === undefined) throw new Error('no token in the answer');
        return auth.client_token;
      },
      auditResponses: (path) => {
        if (!existsSync(audit)) return 0;
        let count = 0;
        for (const line of readFileSync(audit, 'utf8').split('\n')) {
          if (line === '') continue;
          const entry = JSON.parse(line) as { type?: string; request?: { path?: string } };
          if (entry.type === 'response' && entry.request?.path === path) count++;
        }
        return count;
      },
      seal: async () => {
        await apiOk('PUT', 'sys/seal');
      },
      unseal: async () => {
        // The dev server prints its unseal key in its start banner (read now: it may come after health).
        const unsealKey = /Unseal Key: (\S+)/.exec(`${running.stdout()}\n${running.stderr()}`)?.[1];
        if (unsealKey === undefined) throw new Error('no unseal key in the dev server output');
        const answer = await apiOk('PUT', 'sys/unseal', { key: unsealKey });
        if ((answer.body as { sealed?: boolean }).sealed !== false) throw new Error('still sealed');
        await waitFor(async () => (await api('GET', 'sys/health')).status === 200, 10_000, 'OpenBao active after unseal');
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
