import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_BIN, BridgeHome, expectOneLine } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { freePort, type RunResult, run } from '../support/processes.js';

/**
 * Every fault of the issue, against a real OpenBao, through the built bridge as clients run it:
 * each gives the route's defined outcome — `onError: fail` → exit 1 with one line naming the
 * reason; `onError: not-found` → the standard not-found line and a note on stderr — and no
 * token or secret ever shows on stdout or stderr (debug output on).
 */
const NOT_FOUND = 'credentials not found in native keychain';
const SECRET = `vault-canary-${Math.random().toString(36).slice(2)}`;
const DEBUG = { DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' };

let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const home = new BridgeHome();
const tokens: string[] = [];
const outputs: Array<{ what: string; result: RunResult }> = [];
let blackHole: Server | undefined;
const holeSockets = new Set<Socket>();

/** A listener on 127.0.0.1 that accepts connections and never answers (a hung server). */
async function startBlackHole(): Promise<number> {
  blackHole = createServer((socket) => {
    holeSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => holeSockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((ready) => blackHole?.listen(0, '127.0.0.1', ready));
  return (blackHole.address() as { port: number }).port;
}

async function bridge(what: string, args: string[], stdin: string, env: Record<string, string> = {}): Promise<RunResult> {
  const result = await home.run(args, stdin, { ...DEBUG, VAULT_ADDR: server().address, VAULT_TOKEN: server().rootToken, ...env });
  outputs.push({ what, result });
  return result;
}

const FAULTS = ['down', 'hole', 'sealed', 'denied', 'revoked', 'fields', 'v1-on-v2', 'v2-on-v1'] as const;
type Fault = (typeof FAULTS)[number];

describeIntegration('vault faults through the bridge (OpenBao)', openbaoMissing(), () => {
  const expected: Record<Fault, RegExp> = {
    down: /^vault provider "down": cannot connect to http:\/\/127\.0\.0\.1:\d+ \(connection refused\)$/,
    hole: /^provider "hole" get timed out after 1s$/,
    sealed: /^vault provider "main": http:\/\/127\.0\.0\.1:\d+ is sealed \(HTTP 503\)$/,
    denied: /^vault provider "denied": permission denied reading secret\/docker\/denied-(fail|nf)\.test \(HTTP 403\): the token is invalid, expired or revoked, or its policy does not allow this$/,
    revoked: /^vault provider "revoked": permission denied reading secret\/docker\/revoked-(fail|nf)\.test \(HTTP 403\): the token is invalid, expired or revoked, or its policy does not allow this$/,
    fields: /^vault provider "main": the secret secret\/docker\/fields-(fail|nf)\.test has no text field "password" \(set fields\.username \/ fields\.password to its field names\)$/,
    'v1-on-v2': /^vault provider "v1-on-v2": secret\/ is a KV version 2 mount, but the provider is set to kvVersion: 1$/,
    'v2-on-v1': /^vault provider "v2-on-v1": kv1\/ is a KV version 1 mount, but the provider is set to kvVersion: 2$/,
  };
  const providerOf: Record<Fault, string> = {
    down: 'down',
    hole: 'hole',
    sealed: 'main',
    denied: 'denied',
    revoked: 'revoked',
    fields: 'main',
    'v1-on-v2': 'v1-on-v2',
    'v2-on-v1': 'v2-on-v1',
  };

  beforeAll(async () => {
    bao = await startOpenBao();
    const holePort = await startBlackHole();
    const downPort = await freePort(); // free a moment ago (and not the hole's): nothing listens there
    const denied = await server().createToken(['default']);
    const revoked = await server().createToken(['bridge']);
    await server().apiOk('POST', 'auth/token/revoke', { token: revoked });
    tokens.push(server().rootToken, denied, revoked);
    // A secret in place for every fault's key (so "not found" can never be the honest answer),
    // except the one missing its password field.
    for (const fault of FAULTS) {
      for (const suffix of ['fail', 'nf']) {
        const data = fault === 'fields' ? { username: 'u', pass: SECRET } : { username: 'u', password: SECRET };
        await server().apiOk('POST', `secret/data/docker/${fault}-${suffix}.test`, { data });
        await server().apiOk('POST', `kv1/docker/${fault}-${suffix}.test`, { username: 'u', password: SECRET });
      }
    }
    await server().apiOk('POST', 'secret/data/docker/ok.test', { data: { username: 'ok-user', password: SECRET } });
    const providers = [
      'main: {type: vault}',
      `down: {type: vault, address: "http://127.0.0.1:${downPort}"}`,
      `hole: {type: vault, address: "http://127.0.0.1:${holePort}"}`,
      'denied: {type: vault, auth: {method: token, tokenEnv: DENIED_TOKEN}}',
      'revoked: {type: vault, auth: {method: token, tokenEnv: REVOKED_TOKEN}}',
      'v1-on-v2: {type: vault, kvVersion: 1}',
      'v2-on-v1: {type: vault, mount: kv1}',
    ];
    // cache: false — these are the provider's outcomes; serving stale entries is the bridge
    // cache's business (src/cache/) and is tested there.
    const routes = FAULTS.flatMap((fault) => [
      `  - {match: ${fault}-fail.test, provider: ${providerOf[fault]}, timeout: 1s, cache: false}`,
      `  - {match: ${fault}-nf.test, provider: ${providerOf[fault]}, timeout: 1s, onError: not-found, cache: false}`,
    ]);
    home.writeConfig(`providers:\n${providers.map((p) => `  ${p}`).join('\n')}\nroutes:\n${routes.join('\n')}\n  - {match: [ok.test, "*.ok.test"], provider: main, cache: false}\n`);
  });

  afterAll(async () => {
    await bao?.stop();
    for (const socket of holeSockets) socket.destroy();
    await new Promise<void>((done) => (blackHole ? blackHole.close(() => done()) : done()));
    home.remove();
  });

  const faultEnv = () => ({ DENIED_TOKEN: tokens[1] ?? '', REVOKED_TOKEN: tokens[2] ?? '' });

  it('the healthy path works (so every fault below is the fault, not the setup)', async () => {
    const result = await bridge('ok get', ['get'], 'ok.test');
    expect(result.stdout).toBe(`{"ServerURL":"ok.test","Username":"ok-user","Secret":"${SECRET}"}\n`);
  });

  describe.each(FAULTS)('%s', (fault) => {
    const sealed = fault === 'sealed';
    beforeAll(async () => {
      if (sealed) await server().seal();
    });
    afterAll(async () => {
      if (sealed) await server().unseal();
    });

    it('onError: fail → exit 1 with the reason, one line', async () => {
      const started = Date.now();
      const result = await bridge(`${fault} fail`, ['get'], `${fault}-fail.test`, faultEnv());
      expect(result.code, result.stderr).toBe(1);
      expect(expectOneLine(result)).toMatch(expected[fault]);
      // Bounded: the route's deadline (1s) plus a process start, never a hang. (The other faults
      // would show as "timed out" in the message if they hung.)
      if (fault === 'hole') expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('onError: not-found → the not-found line, the reason as a note on stderr', async () => {
      const result = await bridge(`${fault} not-found`, ['get'], `${fault}-nf.test`, faultEnv());
      expect(result.code).toBe(1);
      expect(expectOneLine(result)).toBe(NOT_FOUND);
      const note = result.stderr.split('\n').find((line) => line.includes('answering not found'));
      expect(note).toMatch(/^docker-credential-bridge: .+; answering not found \(onError: not-found in routes\[\d+\]\)$/);
      expect(note?.replace(/^docker-credential-bridge: /, '').replace(/; answering not found.*$/, '')).toMatch(expected[fault]);
    });
  });

  it('store and erase fail the same way, exit 1 with the reason (erase of a missing key still exits 0 when Vault answers)', async () => {
    const store = await bridge('store denied', ['store'], JSON.stringify({ ServerURL: 'denied-fail.test', Username: 'u', Secret: SECRET }), faultEnv());
    expect(store.code).toBe(1);
    expect(expectOneLine(store)).toMatch(/^vault provider "denied": no access to secret\/: the token's policy allows nothing under it, or there is no such mount$/);
    const erase = await bridge('erase down', ['erase'], 'down-fail.test');
    expect(erase.code).toBe(1);
    expect(expectOneLine(erase)).toMatch(expected.down);
    const missing = await bridge('erase missing', ['erase'], 'never-stored.ok.test');
    expect(missing.code).toBe(0);
  });

  it('list leaves a failing provider out with a note and still answers', async () => {
    const result = await bridge('list', ['list'], 'unused', faultEnv());
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ 'ok.test': 'ok-user' });
    expect(result.stderr).toMatch(/vault provider "down": cannot connect to .*; its credentials are left out of the list/);
  });

  it('no token and no secret on stdout (except a successful get) or stderr, with debug on', () => {
    expect(outputs.length).toBeGreaterThan(2 * FAULTS.length);
    expect(outputs.some(({ result }) => result.stderr.includes('debug vault.get'))).toBe(true);
    for (const { what, result } of outputs) {
      for (const token of tokens) {
        expect(result.stdout, `${what} stdout`).not.toContain(token);
        expect(result.stderr, `${what} stderr`).not.toContain(token);
      }
      expect(result.stderr, `${what} stderr`).not.toContain(SECRET);
      if (what !== 'ok get') expect(result.stdout, `${what} stdout`).not.toContain(SECRET);
      expect(result.stderr, `${what} stderr`).not.toMatch(/\n\s+at /);
    }
  });

  it('no token and no secret in any file the bridge wrote (config snapshot, caches)', () => {
    const filesUnder = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
    const files = filesUnder(home.dir).filter((file) => !file.includes('trace-'));
    expect(files.some((file) => file.includes('config-snapshot'))).toBe(true);
    for (const file of files) {
      const bytes = readFileSync(file);
      for (const value of [SECRET, ...tokens]) expect(bytes.includes(value), file).toBe(false);
    }
  });

  describe('loading', () => {
    const tracer = resolve('test/support/module-tracer.cjs');
    const modules = async (stdin: string): Promise<string[]> => {
      const trace = join(home.dir, `trace-${Math.random().toString(36).slice(2)}`);
      await run([process.execPath, '-r', tracer, BRIDGE_BIN, 'get'], {
        stdin,
        env: home.env({ VAULT_ADDR: server().address, VAULT_TOKEN: server().rootToken, BRIDGE_TRACE_MODULES: trace }),
      });
      return readFileSync(trace, 'utf8')
        .split('\n')
        .filter((m) => m !== '' && !isBuiltin(m))
        .map((m) => m.replace(`${resolve('.')}/`, ''));
    };

    it('node-vault is loaded only by a vault route: it lives in the vault bundle alone', async () => {
      const vault = await modules('ok.test');
      expect(vault).toContain('dist/bridge-provider-vault.cjs');
      expect(await modules('unrouted.example')).toEqual(['dist/docker-credential-bridge.cjs']);
      expect(readFileSync(BRIDGE_BIN, 'utf8')).not.toMatch(/node-vault|X-Vault-Token|handleVaultResponse/);
      expect(readFileSync('dist/bridge-provider-vault.cjs', 'utf8')).toContain('handleVaultResponse');
    });
  });
});
