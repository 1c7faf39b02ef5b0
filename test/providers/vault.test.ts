import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeServerUrl } from '../../src/server-url.js';
import { create } from '../../providers/vault/index.js';
import type { VaultOptions } from '../../providers/vault/options.js';
import type { Provider } from '../../providers/types.js';
import { quietLogger } from '../support/loggers.js';
import { dataOf, type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { describeIntegration } from '../support/integration.js';
import { testProvider } from './contract.js';

// The provider contract and the KV layout, against a real OpenBao dev server (same API as Vault).
let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const call = () => ({ signal: AbortSignal.timeout(20_000) });
const vault = (options: VaultOptions = {}, env: Record<string, string | undefined> = {}): Provider =>
  create(options, {
    name: 'v',
    env: { HOME: server().dir, VAULT_ADDR: server().address, VAULT_TOKEN: server().rootToken, ...env },
    log: quietLogger(),
    dataDir: '/nonexistent',
    cacheDir: '/nonexistent',
  });

describeIntegration('vault provider on OpenBao', openbaoMissing(), () => {
  beforeAll(async () => {
    bao = await startOpenBao();
  });
  afterAll(async () => {
    await bao?.stop();
  });

  describe('KV v2 with only VAULT_ADDR and VAULT_TOKEN (no options)', () => {
    testProvider({ readOnly: false, lists: true, create: () => vault() });
  });

  describe('KV v1 mount', () => {
    testProvider({ readOnly: false, lists: true, create: () => vault({ mount: 'kv1', kvVersion: 1, path: 'registries/{registry}' }) });
  });

  describe('KV v2 with check-and-set writes on a cas_required mount, erase: all', () => {
    testProvider({ readOnly: false, lists: true, create: () => vault({ mount: 'kv2', cas: true, erase: 'all', path: 'ci/{registry}/login' }) });
  });

  describe('layout in Vault', () => {
    const read = async (path: string) => dataOf(await server().apiOk('GET', path));

    it('stores at <mount>/data/docker/<registry key> with username, password and server_url fields', async () => {
      const registry = normalizeServerUrl('https://Layout.Example:5000/');
      await vault().store?.(registry, { serverURL: registry.serverURL, username: 'u1', secret: 'p1' }, call());
      expect((await read('secret/data/docker/layout.example:5000')).data).toEqual({ username: 'u1', password: 'p1', server_url: 'https://Layout.Example:5000/' });
    });

    it('honours custom field names, and reads a secret written by hand with only those fields', async () => {
      const provider = vault({ fields: { username: 'login', password: 'token' } });
      await server().apiOk('POST', 'secret/data/docker/byhand.example', { data: { login: 'robot$ci', token: 'hand-made' } });
      expect(await provider.get(normalizeServerUrl('byhand.example'), call())).toEqual({ serverURL: 'byhand.example', username: 'robot$ci', secret: 'hand-made' });
      expect((await provider.list?.(call()))?.get('byhand.example')).toEqual({ serverURL: 'byhand.example', username: 'robot$ci' });
    });

    it('nests Docker Hub token keys under the registry, and list walks the tree back to the keys', async () => {
      const provider = vault({ path: 'hub/{registry}' });
      const keys = ['https://index.docker.io/v1/', 'https://index.docker.io/v1/access-token', 'https://index.docker.io/v1/refresh-token', '[::1]:5000', 'reg.example/a//b'];
      for (const [i, serverURL] of keys.entries()) {
        await provider.store?.(normalizeServerUrl(serverURL), { serverURL, username: `user${i}`, secret: `s${i}` }, call());
      }
      const listed = dataOf<{ keys: string[] }>(await server().apiOk('GET', 'secret/metadata/hub/docker.io?list=true'));
      expect(listed.keys.sort()).toEqual(['access-token', 'refresh-token']);
      const all = await provider.list?.(call());
      expect([...(all?.keys() ?? [])]).toEqual(['[::1]:5000', 'docker.io', 'docker.io/access-token', 'docker.io/refresh-token', 'reg.example/a//b']);
      // The ServerURL as the client sent it comes back, so Docker finds its Hub key.
      expect(all?.get('docker.io')).toEqual({ serverURL: 'https://index.docker.io/v1/', username: 'user0' });
      for (const [i, serverURL] of keys.entries()) {
        expect(await provider.get(normalizeServerUrl(serverURL), call())).toMatchObject({ username: `user${i}`, secret: `s${i}` });
      }
    });

    it('list ignores secrets under the prefix that are not credentials or not registry keys', async () => {
      const provider = vault({ path: 'mixed/{registry}' });
      await server().apiOk('POST', 'secret/data/mixed/README', { data: { note: 'not a credential' } });
      await server().apiOk('POST', 'secret/data/mixed/UPPER.example', { data: { username: 'x', password: 'y' } });
      await provider.store?.(normalizeServerUrl('ok.example'), { serverURL: 'ok.example', username: 'ok', secret: 'z' }, call());
      expect([...((await provider.list?.(call())) ?? new Map()).keys()]).toEqual(['ok.example']);
    });

    it('KV v2 store writes a new version; erase: latest soft-deletes it (history kept), erase: all removes the metadata', async () => {
      const registry = normalizeServerUrl('versions.example');
      const cred = (secret: string) => ({ serverURL: registry.serverURL, username: 'v', secret });
      await vault().store?.(registry, cred('one'), call());
      await vault().store?.(registry, cred('two'), call());
      const meta = () => server().api('GET', 'secret/metadata/docker/versions.example');
      expect(dataOf<{ current_version: number }>(await meta()).current_version).toBe(2);
      await vault().erase?.(registry, call());
      expect(await vault().get(registry, call())).toBeUndefined();
      const afterSoft = await meta();
      expect(afterSoft.status).toBe(200);
      expect(dataOf<{ versions: Record<string, { deletion_time: string }> }>(afterSoft).versions['2']?.deletion_time).not.toBe('');
      await vault({ erase: 'all' }).erase?.(registry, call());
      expect((await meta()).status).toBe(404);
    });

    it('cas: a cas_required mount refuses plain writes; with cas: true parallel stores never lose an update', async () => {
      const registry = normalizeServerUrl('cas-race.example');
      const path = 'kv2/data/docker/cas-race.example';
      const cred = (i: number) => ({ serverURL: 'cas-race.example', username: `writer${i}`, secret: `s${i}` });
      await expect(vault({ mount: 'kv2' }).store?.(registry, cred(0), call())).rejects.toThrow(/writing kv2\/docker\/cas-race\.example was rejected: the mount requires check-and-set writes \(set cas: true\)$/);
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => vault({ mount: 'kv2', cas: true }).store?.(registry, cred(i), call())));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won.length).toBeGreaterThan(0);
      for (const r of results) {
        if (r.status === 'rejected') expect(String(r.reason)).toMatch(/the secret changed since it was read \(check-and-set\); try again$/);
      }
      // Every accepted write is one version: none overwrote another unseen.
      const meta = dataOf<{ current_version: number }>(await server().apiOk('GET', 'kv2/metadata/docker/cas-race.example'));
      expect(meta.current_version).toBe(won.length);
      const stored = dataOf<{ data: { username: string } }>(await server().apiOk('GET', path)).data.username;
      expect(won.map((i) => `writer${i}`)).toContain(stored);
    });
  });
});
