import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_COMMAND, BridgeHome } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { childEnv, sleep } from '../support/processes.js';
import { credentialLine, keyctlMissing, purgeKeyutilsEntries, putSecret, readsOf, runBridge, vaultConfig } from './support.js';

const NOT_FOUND = 'credentials not found in native keychain\n';
let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const home = new BridgeHome();
const env = () => ({ VAULT_TOKEN: server().rootToken });
const get = (serverURL: string, extra: Record<string, string> = {}) =>
  runBridge(home, 'session', ['get'], serverURL, { ...env(), ...extra });
const bridge = (args: string[], stdin = '') => runBridge(home, 'session', args, stdin, env());

/** Starts `get` for `host` and SIGKILLs it after `ms` (if still running); resolves with how it ended. */
function killAfter(host: string, ms: number): Promise<NodeJS.Signals | number | null> {
  const child = spawn('keyctl', ['session', '-', ...BRIDGE_COMMAND, 'get'], {
    env: childEnv(home.env(env())),
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.stdin.end(host);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code);
    });
  });
}

/**
 * The cache on kernel keyutils (each helper run under `keyctl session -`, as under a login
 * session), in front of a real OpenBao whose audit log counts every read the backend served.
 */
describeIntegration('cache on keyutils, in front of OpenBao', openbaoMissing() ?? keyctlMissing(), () => {
  beforeAll(async () => {
    bao = await startOpenBao();
    home.writeConfig(
      vaultConfig(
        server(),
        `routes:
  - {match: "short.cache.test", provider: corp, cache: {ttl: 8s}}
  - {match: "stale.cache.test", provider: corp, cache: {ttl: 12s}}
  - {match: "nostale.cache.test", provider: corp, cache: {ttl: 12s, staleIfError: 0}}
  - {match: "uncached.cache.test", provider: corp, cache: false}
  - {match: ["parallel.cache.test", "*.parallel.cache.test"], provider: corp, timeout: 60s}
  - {match: "*.cache.test", provider: corp}
`,
      ),
    );
  });
  afterAll(async () => {
    await bridge(['cache', 'clear']);
    purgeKeyutilsEntries(server());
    await bao?.stop();
    home.remove();
  });

  it('a miss reads the backend once; the next gets are hits with no backend call', async () => {
    await putSecret(server(), 'hit.cache.test', 'alice', 'hit-secret');
    for (let i = 0; i < 3; i++) {
      const result = await get('https://hit.cache.test');
      expect(result).toMatchObject({ code: 0, stdout: credentialLine('https://hit.cache.test', 'alice', 'hit-secret'), stderr: '' });
    }
    expect(readsOf(server(), 'hit.cache.test')).toBe(1);
    const explained = await bridge(['explain', 'hit.cache.test']);
    expect(explained.stdout).toContain('cache:        keyutils (Linux kernel keyring)\n');
    expect(explained.stdout).toMatch(
      /cache entry: {2}credential in keyutils, fetched \d+s ago; fresh: served with no backend call for \d+m more, expires in \d+m\n/,
    );
  });

  it('a route with cache: false asks the backend every time', async () => {
    await putSecret(server(), 'uncached.cache.test', 'u', 'p');
    for (let i = 0; i < 2; i++) expect((await get('uncached.cache.test')).code).toBe(0);
    expect(readsOf(server(), 'uncached.cache.test')).toBe(2);
    expect((await bridge(['explain', 'uncached.cache.test'])).stdout).toContain('cache:        off for this route (cache: false)\n');
  });

  // Retried once, on a fresh key: in 2 of ~10 full-suite runs (never in 40+ runs of this file alone,
  // nor in the benchmark's rounds) a second process read the backend. Each attempt logs the debug
  // output of every process that called the backend when there was more than one, to find out why.
  let attempt = 0;
  it('64 parallel gets of one uncached key make exactly one backend read, and all 64 get the answer', { retry: 1 }, async () => {
    const key = `round${++attempt}.parallel.cache.test`;
    await putSecret(server(), key, 'robot', 'parallel-secret');
    const results = await Promise.all(Array.from({ length: 64 }, () => get(key, { DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' })));
    for (const result of results) expect(result).toMatchObject({ code: 0, stdout: credentialLine(key, 'robot', 'parallel-secret') });
    const fetchers = results.filter((r) => r.stderr.includes('debug vault.get')).map((r) => r.stderr);
    if (readsOf(server(), key) !== 1) console.log(`attempt ${attempt}: processes that read the backend:\n${fetchers.join('\n---\n')}`);
    expect(readsOf(server(), key)).toBe(1);
  });

  it('a backend "not found" is remembered: pulls of a public image cost one remote call', async () => {
    for (let i = 0; i < 3; i++) expect(await get('public.cache.test')).toMatchObject({ code: 1, stdout: NOT_FOUND, stderr: '' });
    expect(readsOf(server(), 'public.cache.test')).toBe(1);
    const listed = (await bridge(['cache', 'list'])).stdout;
    expect(listed).toMatch(/^public\.cache\.test\s+corp\s+not-found\s+keyutils\s+\d+s\s+-\s+\d+s$/m);
  });

  it('refreshes after half the lifetime: ttl 8s, so a get after 4s asks the backend again', async () => {
    await putSecret(server(), 'short.cache.test', 'v1', 'first');
    expect((await get('short.cache.test')).stdout).toBe(credentialLine('short.cache.test', 'v1', 'first'));
    await putSecret(server(), 'short.cache.test', 'v2', 'second');
    expect((await get('short.cache.test')).stdout).toBe(credentialLine('short.cache.test', 'v1', 'first'));
    expect(readsOf(server(), 'short.cache.test')).toBe(1);
    await sleep(4_200);
    expect((await get('short.cache.test')).stdout).toBe(credentialLine('short.cache.test', 'v2', 'second'));
    expect(readsOf(server(), 'short.cache.test')).toBe(2);
  });

  describe('while the backend is down (sealed)', () => {
    // Lifetimes of 12s (refresh after 6s) leave seconds of margin on a loaded machine.
    let filledAt = 0;
    beforeAll(async () => {
      await putSecret(server(), 'stale.cache.test', 'stale-user', 'stale-secret');
      await putSecret(server(), 'nostale.cache.test', 'n', 'nostale-secret');
      expect((await get('stale.cache.test')).code).toBe(0);
      expect((await get('nostale.cache.test')).code).toBe(0);
      filledAt = Date.now(); // both entries were fetched before this: past it + 6s is past their refreshAfter
      await sleep(6_300); // past refreshAfter, well before expiresAt
      await server().seal();
    });
    afterAll(async () => {
      await server().unseal();
    });

    it('serves an entry past refreshAfter within staleIfError, with one line on stderr', async () => {
      const result = await get('stale.cache.test');
      expect(result, 'the stale entry answers').toMatchObject({
        code: 0,
        stdout: credentialLine('stale.cache.test', 'stale-user', 'stale-secret'),
      });
      const lines = result.stderr.split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^docker-credential-bridge: vault provider "corp": .* is sealed \(HTTP 503\); serving the cached credential for stale\.cache\.test fetched \d+s ago \(stale-if-error; it expires in \d+s\)$/,
      );
      expect(result.stderr).not.toContain('stale-secret');
    });

    it('does not serve it with staleIfError: 0 (onError decides: fail)', async () => {
      const result = await get('nostale.cache.test');
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^vault provider "corp": .* is sealed \(HTTP 503\)\n$/);
      expect(result.stdout).not.toContain('nostale-secret');
    });

    it('never serves past expiresAt', async () => {
      await sleep(Math.max(0, filledAt + 12_000 + 500 - Date.now()));
      const result = await get('stale.cache.test');
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^vault provider "corp": .* is sealed \(HTTP 503\)\n$/);
      expect(result.stdout).not.toContain('stale-secret');
    });
  });

  it('store updates the entry and erase removes it', async () => {
    const stored = await bridge(['store'], JSON.stringify({ ServerURL: 'login.cache.test', Username: 'new-user', Secret: 'new-secret' }));
    expect(stored).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await get('login.cache.test')).stdout).toBe(credentialLine('login.cache.test', 'new-user', 'new-secret'));
    expect(readsOf(server(), 'login.cache.test')).toBe(0); // answered from the entry `store` wrote
    expect(await bridge(['erase'], 'login.cache.test')).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await bridge(['cache', 'list'])).stdout).not.toContain('login.cache.test');
    expect(await get('login.cache.test')).toMatchObject({ code: 1, stdout: NOT_FOUND });
    expect(readsOf(server(), 'login.cache.test')).toBe(1);
  });

  it('cache list shows keys, ages and expiry but no secret; cache clear removes one registry, then all', async () => {
    await putSecret(server(), 'listed.cache.test', 'lister', 'listed-secret');
    expect((await get('listed.cache.test')).code).toBe(0);
    const listed = await bridge(['cache', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^REGISTRY\s+PROVIDER\s+KIND\s+STORE\s+AGE\s+REFRESH IN\s+EXPIRES IN$/);
    expect(listed.stdout).toMatch(/^listed\.cache\.test\s+corp\s+credential\s+keyutils\s+\d+s\s+7m\s+14m$/m);
    expect(listed.stdout).not.toMatch(/listed-secret|hit-secret|parallel-secret/);

    expect(await bridge(['cache', 'clear', 'https://listed.cache.test/'])).toMatchObject({
      code: 0,
      stdout: 'removed 1 cache entry for listed.cache.test\n',
    });
    expect((await bridge(['cache', 'list'])).stdout).not.toContain('listed.cache.test');
    expect((await get('listed.cache.test')).code).toBe(0);
    expect(readsOf(server(), 'listed.cache.test')).toBe(2);

    const cleared = await bridge(['cache', 'clear']);
    expect(cleared.stdout).toMatch(/^removed \d+ cache entries\n$/);
    expect(await bridge(['cache', 'list'])).toMatchObject({ code: 0, stdout: 'no cache entries\n' });
    expect((await get('hit.cache.test')).code).toBe(0);
    expect(readsOf(server(), 'hit.cache.test')).toBe(2);
  });

  it('a process killed with -9 at any point of a fill leaves a readable cache and no lock that blocks', async () => {
    const hosts = Array.from({ length: 16 }, (_, i) => `killed-${i}.cache.test`);
    for (const host of hosts) await putSecret(server(), host, 'k', `killed-secret-${host}`);
    // Each fill is killed a little later than the one before, sweeping lock, backend call, keychain
    // write and index write. keyctl execs the helper, so the child's pid is the helper's.
    const killed = await Promise.all(hosts.map((host, i) => killAfter(host, 50 + i * 30)));
    expect(killed.filter((signal) => signal === 'SIGKILL').length).toBeGreaterThan(hosts.length / 2);
    for (const host of hosts) {
      const result = await get(host);
      expect(result, `${host}: ${JSON.stringify(result)}`).toMatchObject({
        code: 0,
        stdout: credentialLine(host, 'k', `killed-secret-${host}`),
      });
    }
    expect((await bridge(['cache', 'list'])).code).toBe(0);
    const indexDir = join(home.cacheDir, 'entries');
    for (const name of readdirSync(indexDir).filter((n) => n.endsWith('.json'))) {
      expect(() => JSON.parse(readFileSync(join(indexDir, name), 'utf8')), name).not.toThrow();
    }
  });

  it('no secret reaches stderr (debug on) or any file under the helper’s home', async () => {
    const outputs = [
      await get('hit.cache.test', { DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' }),
      await get('parallel.cache.test', { DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' }),
      await runBridge(home, 'session', ['cache', 'list'], '', { ...env(), DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' }),
      await runBridge(home, 'session', ['explain', 'hit.cache.test'], '', { ...env(), DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' }),
      await runBridge(home, 'session', ['doctor'], '', { ...env(), DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' }),
    ];
    expect(outputs[0]?.stderr).toContain('debug get.cache-hit key=hit.cache.test store=keyutils');
    for (const { stderr } of outputs) expect(stderr).not.toMatch(/hit-secret|parallel-secret|stale-secret|killed-secret/);
    for (const { stdout } of outputs.slice(2)) expect(stdout).not.toMatch(/hit-secret|parallel-secret|stale-secret|killed-secret/);
    const files = (function walk(dir: string): string[] {
      return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    })(home.dir);
    expect(files.some((f) => f.includes(join('cache', 'docker-credential-bridge', 'entries')))).toBe(true);
    for (const file of files) {
      if (!statSync(file).isFile()) continue;
      const bytes = readFileSync(file);
      for (const secret of ['hit-secret', 'parallel-secret', 'stale-secret', 'killed-secret']) {
        expect(bytes.includes(secret), file).toBe(false);
        expect(bytes.includes(Buffer.from(secret).toString('base64')), file).toBe(false);
      }
    }
  });
});
