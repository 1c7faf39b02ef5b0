import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeServerUrl } from '../../src/server-url.js';
import { create } from '../../providers/vault/index.js';
import type { VaultOptions } from '../../providers/vault/options.js';
import type { Provider } from '../../providers/types.js';
import { describeIntegration } from '../support/integration.js';
import { quietLogger } from '../support/loggers.js';
import { dataOf, type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';

// Authentication, namespaces, TLS and deadlines of the vault provider against a real OpenBao.
let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const call = (ms = 20_000) => ({ signal: AbortSignal.timeout(ms) });
type Env = Record<string, string | undefined>;

function vault(options: VaultOptions, env: Env, log = quietLogger()): { provider: Provider; log: typeof log } {
  // No D-Bus in the context: the token cache is off, so each provider instance logs in itself.
  return { provider: create(options, { name: 'corp', env: { HOME: server().dir, ...env }, log, dataDir: '/nonexistent', cacheDir: '/nonexistent' }), log };
}

let counter = 0;
/** Stores through the provider and reads back, each time under a fresh key. */
async function roundTrip(provider: Provider): Promise<void> {
  const registry = normalizeServerUrl(`auth-${++counter}.example:5000`);
  await provider.store?.(registry, { serverURL: registry.serverURL, username: 'robot', secret: `secret-${counter}` }, call());
  expect(await provider.get(registry, call())).toEqual({ serverURL: registry.serverURL, username: 'robot', secret: `secret-${counter}` });
}

function writeSecretFile(name: string, content: string): string {
  const dir = join(server().dir, 'files');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  writeFileSync(path, `${content}\n`, { mode: 0o600 });
  return path;
}

/** A TCP listener on 127.0.0.1 that counts connections and answers nothing. */
async function silentListener(): Promise<{ address: string; connections: () => number; closed: () => number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let closed = 0;
  const listener: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => {
      closed++;
      sockets.delete(socket);
    });
    socket.on('error', () => {});
    socket.resume(); // reads and drops the request, so the client's close is seen
  });
  await new Promise<void>((ready) => listener.listen(0, '127.0.0.1', ready));
  const port = (listener.address() as { port: number }).port;
  return {
    address: `http://127.0.0.1:${port}`,
    connections: () => connections,
    closed: () => closed,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => listener.close(() => done()));
    },
  };
}

describeIntegration('vault provider authentication, namespaces, TLS and deadlines on OpenBao', openbaoMissing(), () => {
  beforeAll(async () => {
    bao = await startOpenBao();
  });
  afterAll(async () => {
    await bao?.stop();
  });

  describe('token', () => {
    it('reads ~/.vault-token when VAULT_TOKEN is unset, as the vault CLI does', async () => {
      const home = join(server().dir, 'token-home');
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, '.vault-token'), server().rootToken, { mode: 0o600 });
      await roundTrip(create({}, { name: 'corp', env: { HOME: home, VAULT_ADDR: server().address }, log: quietLogger(), dataDir: '/x', cacheDir: '/x' }));
    });

    it('takes the token from the configured variable or file instead', async () => {
      await roundTrip(vault({ auth: { method: 'token', tokenEnv: 'CI_VAULT_TOKEN' } }, { VAULT_ADDR: server().address, CI_VAULT_TOKEN: server().rootToken }).provider);
      const file = writeSecretFile('token', server().rootToken);
      // A configured file is not shadowed by VAULT_TOKEN (here a useless one).
      await roundTrip(vault({ auth: { method: 'token', tokenFile: file } }, { VAULT_ADDR: server().address, VAULT_TOKEN: 'not-this-one' }).provider);
    });

    it('with no token anywhere fails at once, naming where it looked, without any network call', async () => {
      const silent = await silentListener();
      try {
        const { provider } = vault({}, { VAULT_ADDR: silent.address, HOME: join(server().dir, 'empty-home') });
        const started = Date.now();
        await expect(provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(
          /^vault provider "corp": no Vault token: VAULT_TOKEN or ~\/\.vault-token is empty or missing \(or configure auth: approle, jwt or kubernetes\)$/,
        );
        await expect(provider.store?.(normalizeServerUrl('x.example'), { serverURL: 'x.example', username: 'u', secret: 's' }, call())).rejects.toThrow(/no Vault token/);
        expect(Date.now() - started).toBeLessThan(1_000);
        expect(silent.connections()).toBe(0);
      } finally {
        await silent.stop();
      }
    });

    it('a token without the policy for the path: permission denied, never "not found"', async () => {
      const none = await server().createToken(['default']);
      const { provider } = vault({}, { VAULT_ADDR: server().address, VAULT_TOKEN: none });
      await expect(provider.get(normalizeServerUrl('denied.example'), call())).rejects.toThrow(
        /^vault provider "corp": permission denied reading secret\/docker\/denied\.example \(HTTP 403\): the token is invalid, expired or revoked, or its policy does not allow this$/,
      );
    });
  });

  describe('AppRole', () => {
    it('logs in with VAULT_ROLE_ID / VAULT_SECRET_ID by default', async () => {
      const env = { VAULT_ADDR: server().address, VAULT_ROLE_ID: server().approle.roleId, VAULT_SECRET_ID: await server().approle.newSecretId() };
      const before = server().auditResponses('auth/approle/login');
      const { provider } = vault({ auth: { method: 'approle' } }, env);
      await roundTrip(provider);
      await roundTrip(provider);
      // One login for the provider's lifetime, not one per call.
      expect(server().auditResponses('auth/approle/login')).toBe(before + 1);
    });

    it('reads role id and secret id from files', async () => {
      const roleIdFile = writeSecretFile('role-id', server().approle.roleId);
      const secretIdFile = writeSecretFile('secret-id', await server().approle.newSecretId());
      await roundTrip(vault({ auth: { method: 'approle', roleIdFile, secretIdFile } }, { VAULT_ADDR: server().address }).provider);
    });

    it('a wrong secret id: the login is refused, and the message holds neither id', async () => {
      const wrong = 'f00dfeed-0000-4000-8000-000000000000';
      const { provider } = vault({ auth: { method: 'approle' } }, { VAULT_ADDR: server().address, VAULT_ROLE_ID: server().approle.roleId, VAULT_SECRET_ID: wrong });
      const error = await provider.get(normalizeServerUrl('x.example'), call()).catch((e: unknown) => e);
      expect(String(error)).toMatch(/^ProviderError: vault provider "corp": logging in with approle at auth\/approle was refused \(HTTP 400\): check the role and its credentials$/);
      expect(String(error)).not.toContain(wrong);
      expect(String(error)).not.toContain(server().approle.roleId);
    });

    it('no secret id on this machine: fails before any network call', async () => {
      const silent = await silentListener();
      try {
        const { provider } = vault({ auth: { method: 'approle', secretIdFile: '/nonexistent/secret-id' } }, { VAULT_ADDR: silent.address, VAULT_ROLE_ID: 'r' });
        await expect(provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(
          /^vault provider "corp": no secretId for approle login: \/nonexistent\/secret-id is empty or missing$/,
        );
        expect(silent.connections()).toBe(0);
      } finally {
        await silent.stop();
      }
    });
  });

  describe('JWT (CI id tokens)', () => {
    it('logs in with a JWT from a variable or from a file', async () => {
      await roundTrip(vault({ auth: { method: 'jwt', role: server().jwt.role, jwtEnv: 'CI_ID_TOKEN' } }, { VAULT_ADDR: server().address, CI_ID_TOKEN: server().jwt.sign() }).provider);
      const jwtFile = writeSecretFile('id-token', server().jwt.sign());
      await roundTrip(vault({ auth: { method: 'jwt', role: server().jwt.role, jwtFile } }, { VAULT_ADDR: server().address }).provider);
    });

    it('an expired or foreign JWT is refused', async () => {
      const expired = server().jwt.sign({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200, nbf: Math.floor(Date.now() / 1000) - 7200 });
      const foreign = server().jwt.sign({ aud: 'someone-else' });
      for (const jwt of [expired, foreign]) {
        const { provider } = vault({ auth: { method: 'jwt', role: server().jwt.role, jwtEnv: 'CI_ID_TOKEN' } }, { VAULT_ADDR: server().address, CI_ID_TOKEN: jwt });
        const error = String(await provider.get(normalizeServerUrl('x.example'), call()).catch((e: unknown) => e));
        expect(error).toMatch(/logging in with jwt at auth\/jwt was refused \(HTTP (400|403)\)/);
        expect(error).not.toContain(jwt.split('.')[2]);
      }
    });
  });

  describe('Kubernetes', () => {
    it('logs in with the service account token file (reviewed through the Kubernetes TokenReview API)', async () => {
      const jwtFile = writeSecretFile('sa-token', server().kubernetes.serviceAccountToken);
      const reviews = server().kubernetes.reviews();
      await roundTrip(vault({ auth: { method: 'kubernetes', role: server().kubernetes.role, jwtFile } }, { VAULT_ADDR: server().address }).provider);
      expect(server().kubernetes.reviews()).toBe(reviews + 1);
    });

    it('outside a pod (no token file) fails before any network call', async () => {
      const { provider } = vault({ auth: { method: 'kubernetes', role: 'builder' } }, { VAULT_ADDR: 'http://127.0.0.1:9' });
      await expect(provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(
        /^vault provider "corp": no jwt for kubernetes login: \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token is empty or missing$/,
      );
    });
  });

  describe('namespaces', () => {
    it('VAULT_NAMESPACE (or the namespace option) puts every call, login included, in that namespace', async () => {
      const ns = server().namespace;
      const registry = normalizeServerUrl('in-namespace.example');
      const { provider } = vault({}, { VAULT_ADDR: server().address, VAULT_TOKEN: server().rootToken, VAULT_NAMESPACE: ns });
      await provider.store?.(registry, { serverURL: registry.serverURL, username: 'ns-user', secret: 'ns-secret' }, call());
      const inNamespace = await server().api('GET', 'secret/data/docker/in-namespace.example', undefined, { namespace: ns });
      expect(dataOf<{ data: unknown }>(inNamespace).data).toMatchObject({ username: 'ns-user', password: 'ns-secret' });
      expect((await server().api('GET', 'secret/data/docker/in-namespace.example')).status).toBe(404);
      const configured = vault({ namespace: ns }, { VAULT_ADDR: server().address, VAULT_TOKEN: server().rootToken }).provider;
      expect(await configured.get(registry, call())).toMatchObject({ username: 'ns-user' });
      // Without the namespace the same key is simply not there.
      expect(await vault({}, { VAULT_ADDR: server().address, VAULT_TOKEN: server().rootToken }).provider.get(registry, call())).toBeUndefined();
    });
  });

  describe('TLS', () => {
    const tokenEnv = (): Env => ({ VAULT_ADDR: server().tlsAddress, VAULT_TOKEN: server().rootToken });

    it('trusts the CA from VAULT_CACERT, VAULT_CAPATH or tls.caCert', async () => {
      await roundTrip(vault({}, { ...tokenEnv(), VAULT_CACERT: server().certs.ca }).provider);
      await roundTrip(vault({}, { ...tokenEnv(), VAULT_CAPATH: server().certs.caDir }).provider);
      await roundTrip(vault({ tls: { caCert: server().certs.ca } }, tokenEnv()).provider);
    });

    it('without the CA: a TLS failure, with what to set', async () => {
      await expect(vault({}, tokenEnv()).provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(
        /^vault provider "corp": TLS with https:\/\/127\.0\.0\.1:\d+ failed \([A-Z_]+\); trust its CA with VAULT_CACERT \/ tls\.caCert, or check the client certificate$/,
      );
    });

    it('VAULT_SKIP_VERIFY works and warns', async () => {
      const { provider, log } = vault({}, { ...tokenEnv(), VAULT_SKIP_VERIFY: 'true' });
      await roundTrip(provider);
      expect(log.notes).toEqual([expect.stringMatching(/^vault provider "corp": TLS certificate verification is OFF for https:\/\/127\.0\.0\.1:\d+ \(VAULT_SKIP_VERIFY/)]);
      await expect(vault({}, { ...tokenEnv(), VAULT_SKIP_VERIFY: 'maybe' }).provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(
        /VAULT_SKIP_VERIFY must be true or false$/,
      );
    });

    it('presents VAULT_CLIENT_CERT / VAULT_CLIENT_KEY where the server requires a client certificate', async () => {
      const env = { VAULT_ADDR: server().mtlsAddress, VAULT_TOKEN: server().rootToken, VAULT_CACERT: server().certs.ca };
      await expect(vault({}, env).provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(/^vault provider "corp": /);
      await roundTrip(vault({}, { ...env, VAULT_CLIENT_CERT: server().certs.clientCert, VAULT_CLIENT_KEY: server().certs.clientKey }).provider);
      await expect(vault({}, { ...env, VAULT_CLIENT_CERT: server().certs.clientCert }).provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(
        /a client certificate needs both VAULT_CLIENT_CERT and VAULT_CLIENT_KEY/,
      );
    });
  });

  describe('deadlines', () => {
    it('a server that accepts and never answers: the call ends at the deadline and its connection is closed', async () => {
      const silent = await silentListener();
      try {
        const { provider } = vault({}, { VAULT_ADDR: silent.address, VAULT_TOKEN: 'irrelevant' });
        const started = Date.now();
        await expect(provider.get(normalizeServerUrl('x.example'), call(400))).rejects.toThrow(
          /^vault provider "corp": no answer from http:\/\/127\.0\.0\.1:\d+ in time \(reading secret\/docker\/x\.example\)$/,
        );
        expect(Date.now() - started).toBeLessThan(1_500);
        expect(silent.connections()).toBe(1);
        // The request was really stopped, not just abandoned: its socket is gone.
        await expect.poll(() => silent.closed(), { timeout: 2_000 }).toBe(1);
      } finally {
        await silent.stop();
      }
    });

    it('nothing listening: connection refused, at once', async () => {
      const silent = await silentListener();
      const address = silent.address;
      await silent.stop();
      await expect(vault({}, { VAULT_ADDR: address, VAULT_TOKEN: 't' }).provider.get(normalizeServerUrl('x.example'), call())).rejects.toThrow(
        /^vault provider "corp": cannot connect to http:\/\/127\.0\.0\.1:\d+ \(connection refused\)$/,
      );
    });
  });
});
