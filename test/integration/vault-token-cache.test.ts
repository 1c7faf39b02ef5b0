import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN_CACHE_SERVICE } from '../../providers/vault/token-cache.js';
import { BRIDGE_COMMAND } from '../support/bridge.js';
import { useBridgeWithKeyring } from '../support/bridge-keyring.js';
import { describeIntegration } from '../support/integration.js';
import { dataOf, type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { type RunResult, run, sleep } from '../support/processes.js';
import { secretServiceMissing } from '../support/secret-service.js';

/**
 * AppRole through the built bridge, one process per call as Docker runs it, with a private
 * gnome-keyring: the login token is kept in the keychain, so a cache miss does not log in every
 * time; a refused (revoked) cached token gets exactly one re-login. Logins are counted by the
 * server itself, in its audit log.
 */
let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const LOGIN = 'auth/approle/login';
const SECRET = `cached-login-canary-${Math.random().toString(36).slice(2)}`;

describeIntegration('vault login token cache in the OS keychain (bridge, OpenBao, gnome-keyring)', openbaoMissing() ?? secretServiceMissing(), () => {
  const { home, env: keyringEnv, secrets } = useBridgeWithKeyring();
  const outputs: RunResult[] = [];
  let secretId = '';

  beforeAll(async () => {
    bao = await startOpenBao();
    secretId = await server().approle.newSecretId();
    // cache: false — the bridge's credential cache (src/cache/) would answer repeated gets without
    // calling the provider at all; this test is about the provider's own login token.
    home.writeConfig('providers:\n  corp: {type: vault, auth: {method: approle}}\ndefault: {provider: corp, cache: false}\n');
    await server().apiOk('POST', 'secret/data/docker/cached.example', { data: { username: 'robot', password: SECRET } });
  });
  afterAll(async () => {
    await bao?.stop();
  });

  const get = async (env: Record<string, string | undefined> = keyringEnv(), roleId = server().approle.roleId, sid = secretId): Promise<RunResult> => {
    const result = await run([...BRIDGE_COMMAND, 'get'], {
      stdin: 'cached.example',
      env: { ...env, VAULT_ADDR: server().address, VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: sid, DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' },
    });
    outputs.push(result);
    expect(result.stdout, result.stderr).toBe(`{"ServerURL":"cached.example","Username":"robot","Secret":"${SECRET}"}\n`);
    return result;
  };

  /** The cached entries: keychain account → stored JSON. */
  const cachedEntries = async (): Promise<string[]> => {
    const found = await run(['secret-tool', 'search', '--all', '--unlock', 'service', TOKEN_CACHE_SERVICE], { env: secrets().env });
    return [...`${found.stdout}\n${found.stderr}`.matchAll(/^secret = (.*)$/gm)].map((m) => m[1] ?? '');
  };

  it('logs in once; later processes reuse the token from the keychain', async () => {
    const before = server().auditResponses(LOGIN);
    const first = await get();
    expect(first.stderr).toContain('debug vault.token source=login method=approle ttl=3600');
    const second = await get();
    const third = await get();
    for (const later of [second, third]) expect(later.stderr).toContain('debug vault.token source=keychain');
    expect(server().auditResponses(LOGIN)).toBe(before + 1);
  });

  it('the keychain holds the Vault token alone (no role id, secret id or credential), and it is a live token', async () => {
    const entries = await cachedEntries();
    expect(entries).toHaveLength(1);
    const entry = JSON.parse(entries[0] ?? '') as { v: number; token: string; useUntil: number };
    expect(Object.keys(entry).sort()).toEqual(['token', 'useUntil', 'v']);
    expect(entry.useUntil).toBeGreaterThan(Date.now() + 50 * 60_000);
    for (const value of [server().approle.roleId, secretId, SECRET]) expect(entries[0]).not.toContain(value);
    const self = await server().apiOk('GET', 'auth/token/lookup-self', undefined, { token: entry.token });
    expect(dataOf<{ policies: string[] }>(self).policies).toContain('bridge');
    for (const output of outputs) {
      expect(output.stderr).not.toContain(entry.token);
      expect(output.stderr).not.toContain(secretId);
    }
  });

  it('a cached token that Vault refuses (revoked) gets exactly one re-login, and the new token is cached', async () => {
    await server().apiOk('PUT', 'sys/leases/revoke-prefix/auth/approle/login');
    const before = server().auditResponses(LOGIN);
    const retried = await get();
    expect(retried.stderr).toContain('debug vault.relogin method=approle');
    expect(server().auditResponses(LOGIN)).toBe(before + 1);
    await get();
    expect(server().auditResponses(LOGIN)).toBe(before + 1);
  });

  it('a token near the end of its TTL is not used: the next process logs in again', async () => {
    await server().apiOk('POST', 'auth/approle/role/short', { token_policies: ['bridge'], token_ttl: '7s' });
    const roleId = dataOf<{ role_id: string }>(await server().apiOk('GET', 'auth/approle/role/short/role-id')).role_id;
    const sid = dataOf<{ secret_id: string }>(await server().apiOk('POST', 'auth/approle/role/short/secret-id', {})).secret_id;
    const before = server().auditResponses(LOGIN);
    await get(keyringEnv(), roleId, sid);
    await get(keyringEnv(), roleId, sid);
    expect(server().auditResponses(LOGIN)).toBe(before + 1);
    // A 7 s token is used for 2 s only (5 s early), then replaced.
    await sleep(2_500);
    const later = await get(keyringEnv(), roleId, sid);
    expect(later.stderr).toContain('debug vault.token source=login');
    expect(server().auditResponses(LOGIN)).toBe(before + 2);
  });

  describe('without a keychain', () => {
    it('every process logs in (nothing is written in plain text instead), and debug says why', async () => {
      const before = server().auditResponses(LOGIN);
      const noBus = home.env({ DBUS_SESSION_BUS_ADDRESS: undefined });
      const first = await get(noBus);
      await get(noBus);
      expect(first.stderr).toContain('debug vault.token-cache.off reason=no D-Bus session bus');
      expect(server().auditResponses(LOGIN)).toBe(before + 2);
    });
  });
});
