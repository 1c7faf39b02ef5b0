import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { normalizeServerUrl } from '../../src/server-url.js';
import { vaultOptionsSchema } from '../../providers/vault/options.js';
import { decodeKey, encodeKey, parseTemplate, registryKeyOf, secretPath, toUrlPath } from '../../providers/vault/paths.js';
import { cacheAccount, useUntil } from '../../providers/vault/token-cache.js';

// Pure parts of the vault provider: key ⇄ path, option shapes, token lifetimes. No server needed.
describe('registry key ⇄ secret path', () => {
  const docker = parseTemplate('docker/{registry}');

  it.each([
    ['ghcr.io', 'docker/ghcr.io'],
    ['registry.corp.example:5000', 'docker/registry.corp.example:5000'],
    ['docker.io', 'docker/docker.io'],
    ['docker.io/access-token', 'docker/docker.io/access-token'],
    ['[::1]:5000', 'docker/[::1]:5000'],
    ['reg.example/team/a%20b', 'docker/reg.example/team/a%2520b'],
    // Empty segments cannot be spelled as Vault path segments: one segment, slashes escaped.
    ['reg.example/a//b', 'docker/reg.example%2Fa%2F%2Fb'],
  ])('%s ⇄ %s', (key, path) => {
    expect(secretPath(docker, key)).toBe(path);
    expect(registryKeyOf(docker, path)).toBe(key);
  });

  it('templates with a suffix and a deeper prefix', () => {
    const template = parseTemplate('teams/ci/{registry}/login');
    expect(template).toEqual({ prefix: 'teams/ci/', suffix: '/login' });
    expect(secretPath(template, 'docker.io/access-token')).toBe('teams/ci/docker.io/access-token/login');
    expect(registryKeyOf(template, 'teams/ci/docker.io/access-token/login')).toBe('docker.io/access-token');
    expect(registryKeyOf(template, 'teams/ci/docker.io/other')).toBeUndefined();
    expect(registryKeyOf(parseTemplate('{registry}'), 'ghcr.io')).toBe('ghcr.io');
  });

  it('ignores paths that are not ones it writes', () => {
    for (const path of ['other/ghcr.io', 'docker/', 'docker/UPPER.example', 'docker/not a host', 'docker/x%2', 'docker/x%2fy']) {
      expect(registryKeyOf(docker, path), path).toBeUndefined();
    }
  });

  it('is reversible and collision-free for every normalised key', () => {
    const segment = fc.stringMatching(/^[a-z0-9%~._-]{0,6}$/);
    const host = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z0-9]{1,5}){0,2}$/);
    const url = fc.tuple(host, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }), fc.array(segment, { maxLength: 4 })).map(
      ([h, port, path]) => `${h}${port === undefined ? '' : `:${port}`}${path.length ? `/${path.join('/')}` : ''}`,
    );
    fc.assert(
      fc.property(url, url, (a, b) => {
        let ka: string;
        let kb: string;
        try {
          ka = normalizeServerUrl(a).key;
          kb = normalizeServerUrl(b).key;
        } catch {
          return; // not a registry URL at all
        }
        expect(registryKeyOf(docker, secretPath(docker, ka))).toBe(ka);
        expect(decodeKey(encodeKey(ka))).toBe(ka);
        if (ka !== kb) expect(secretPath(docker, ka)).not.toBe(secretPath(docker, kb));
      }),
      { numRuns: 500 },
    );
  });

  it('percent-encodes each segment for the request line', () => {
    expect(toUrlPath('secret/data/docker/[::1]:5000')).toBe('secret/data/docker/%5B%3A%3A1%5D%3A5000');
    expect(toUrlPath('secret/data/docker/reg.example%2Fa')).toBe('secret/data/docker/reg.example%252Fa');
    expect(toUrlPath('secret/metadata/docker/')).toBe('secret/metadata/docker/');
  });
});

describe('vault options', () => {
  const parse = (options: Record<string, unknown>) => v.safeParse(vaultOptionsSchema, { type: 'vault', ...options });

  it('accepts {type: vault} alone, with the documented defaults', () => {
    const parsed = parse({});
    expect(parsed.success).toBe(true);
    expect(parsed.output).toEqual({ type: 'vault', mount: 'secret', kvVersion: 2, path: 'docker/{registry}', cas: false, erase: 'latest' });
  });

  it.each([
    [{ path: 'docker/reg-{registry}' }, 'must contain {registry} as whole path segments'],
    [{ path: 'docker/{registry}/{registry}' }, 'must contain {registry}'],
    [{ path: 'docker/../{registry}' }, 'must not contain . or .. segments'],
    [{ path: '/docker/{registry}' }, 'must contain {registry}'],
    [{ kvVersion: 3 }, 'Invalid type'],
    [{ address: 'vault.corp:8200' }, 'must start with http:// or https://'],
    [{ address: 'not a url' }, 'must be a URL'],
    [{ address: 'ftp://vault.corp' }, 'must start with http:// or https://'],
    [{ auth: { method: 'approle', roleId: 'literal' } }, 'Invalid key'],
    [{ auth: { method: 'jwt', jwtEnv: 'CI_JOB_JWT' } }, 'Expected "role"'],
    [{ auth: { method: 'token', token: 'hvs.literal' } }, 'Invalid key'],
  ])('refuses %j', (options, message) => {
    const parsed = parse(options);
    expect(parsed.success).toBe(false);
    expect(parsed.issues?.[0]?.message).toContain(message);
  });
});

describe('login token lifetime in the cache', () => {
  it('is used until shortly before its TTL ends: a tenth early, at least 5 s, at most 5 min', () => {
    expect(useUntil(0, 3600)).toBe(3300 * 1000);
    expect(useUntil(0, 60)).toBe(54 * 1000);
    expect(useUntil(0, 30)).toBe(25 * 1000);
    expect(useUntil(0, 86_400)).toBe((86_400 - 300) * 1000);
    expect(useUntil(0, 3)).toBe(0);
    expect(useUntil(0, 0)).toBeNull();
  });

  it('keychain accounts name the login without holding its inputs', () => {
    const account = cacheAccount(['approle', 'https://vault.corp:8200', '', 'approle', 'role-id-value']);
    expect(account).toMatch(/^approle https:\/\/vault\.corp:8200 [0-9a-f]{32}$/);
    expect(account).not.toContain('role-id-value');
    expect(cacheAccount(['approle', 'https://vault.corp:8200', '', 'approle', 'other'])).not.toBe(account);
  });
});
