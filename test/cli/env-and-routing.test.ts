import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';

const home = new BridgeHome();
afterAll(() => home.remove());

// A provider that fails loudly on any touch: the keychain pinned (`store: keychain`) behind a
// D-Bus address that leads nowhere. A test that succeeds through it proves it was never called.
const TRIPWIRE_CONFIG = `
cache: {store: off}   # the tripwire must answer from its provider or not at all
providers:
  tripwire: {type: local, store: keychain}
  gitlab: {type: env}
routes:
  - match: registry.gitlab.example:5050
    provider: tripwire
    env: {username: CI_REGISTRY_USER, password: CI_REGISTRY_PASSWORD}
  - match: ghcr.io
    provider: tripwire
`;

describe('environment first: a CI job with only env vars never reaches a backend', () => {
  const deadBus = () => ({ DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home.dir, 'no-bus')}` });

  it('the route mapping answers, with no backend call', async () => {
    home.writeConfig(TRIPWIRE_CONFIG);
    const result = await home.run(['get'], 'registry.gitlab.example:5050', { ...deadBus(), CI_REGISTRY_USER: 'gitlab-ci-token', CI_REGISTRY_PASSWORD: 'job-token' });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('{"ServerURL":"registry.gitlab.example:5050","Username":"gitlab-ci-token","Secret":"job-token"}\n');
  });

  it('DOCKER_AUTH_CONFIG answers, with no backend call', async () => {
    home.writeConfig(TRIPWIRE_CONFIG);
    const auth = JSON.stringify({ auths: { 'ghcr.io': { auth: Buffer.from('octocat:ghp-token').toString('base64') } } });
    const result = await home.run(['get'], 'https://ghcr.io', { ...deadBus(), DOCKER_AUTH_CONFIG: auth });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('{"ServerURL":"https://ghcr.io","Username":"octocat","Secret":"ghp-token"}\n');
  });

  it('the naming convention answers, with no backend call', async () => {
    home.writeConfig(TRIPWIRE_CONFIG);
    const result = await home.run(['get'], 'ghcr.io', {
      ...deadBus(),
      DOCKER_CREDENTIAL_BRIDGE_GHCR_IO_USERNAME: 'conv',
      DOCKER_CREDENTIAL_BRIDGE_GHCR_IO_PASSWORD: 'conv-secret',
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe('{"ServerURL":"ghcr.io","Username":"conv","Secret":"conv-secret"}\n');
  });

  it('without the variables the same route does reach its backend (so the tripwire is real)', async () => {
    home.writeConfig(TRIPWIRE_CONFIG);
    const result = await home.run(['get'], 'ghcr.io', deadBus());
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^OS keychain: /);
  });

  it('an unrouted registry answers not found with no backend and no keychain access', async () => {
    home.writeConfig(TRIPWIRE_CONFIG);
    const result = await home.run(['get'], 'quay.io', deadBus());
    expect(result).toMatchObject({ code: 1, stdout: 'credentials not found in native keychain\n', stderr: '' });
    const erased = await home.run(['erase'], 'quay.io', deadBus());
    expect(erased).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  it('env lookup can be switched off', async () => {
    home.writeConfig(`${TRIPWIRE_CONFIG}env: {lookup: false}\n`);
    const result = await home.run(['get'], 'quay.io', { DOCKER_CREDENTIAL_BRIDGE_QUAY_IO_USERNAME: 'u', DOCKER_CREDENTIAL_BRIDGE_QUAY_IO_PASSWORD: 'p' });
    expect(result.stdout).toBe('credentials not found in native keychain\n');
  });
});

describe('write policy for read-only providers', () => {
  const CONFIG = `
providers:
  ci: {type: env}
routes:
  - {match: ignore.example, provider: ci}
  - {match: refuse.example, provider: ci, write: refuse}
`;
  it('ignores a store by default, with a note, and exits 0 (docker login goes on)', async () => {
    home.writeConfig(CONFIG);
    const result = await home.run(['store'], '{"ServerURL":"ignore.example","Username":"u","Secret":"ignored-secret"}');
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe('docker-credential-bridge: credentials for ignore.example were not stored (provider "ci" is read-only)\n');
  });
  it('refuses when the route says so', async () => {
    home.writeConfig(CONFIG);
    const result = await home.run(['store'], '{"ServerURL":"refuse.example","Username":"u","Secret":"x"}');
    expect(result).toMatchObject({ code: 1, stdout: 'credentials for refuse.example not stored: provider "ci" is read-only\n' });
  });
  it('refuses to store for an unrouted registry, naming the config', async () => {
    const path = home.writeConfig(CONFIG);
    const result = await home.run(['store'], '{"ServerURL":"elsewhere.example","Username":"u","Secret":"x"}');
    expect(result).toMatchObject({ code: 1, stdout: `no route for elsewhere.example in ${path}; not stored (add a route or a default)\n` });
  });
  it('erase on a read-only route succeeds quietly (skopeo crashes on a failed erase)', async () => {
    home.writeConfig(CONFIG);
    expect(await home.run(['erase'], 'ignore.example')).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});

describe('explain', () => {
  it('names the key, the rule and why, the provider, and the exact variables, with no values', async () => {
    const path = home.writeConfig(TRIPWIRE_CONFIG);
    expect((await home.run(['explain', 'ghcr.io'])).stdout).toContain(`config:       ${path} (compiled now)`);
    const result = await home.run(['explain', 'https://registry.gitlab.example:5050/'], '', {
      CI_REGISTRY_USER: 'gitlab-ci-token',
      CI_REGISTRY_PASSWORD: 'explain-canary',
      DOCKER_AUTH_CONFIG: '{"auths":{}}',
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        'server URL:   https://registry.gitlab.example:5050/',
        'registry key: registry.gitlab.example:5050',
        `config:       ${path} (compiled snapshot is current)`,
        'route:        routes[0]: pattern "registry.gitlab.example:5050" fits registry.gitlab.example:5050; first match wins',
        'provider:     tripwire (type local)',
        'write:        default: forward to the provider, or ignore with a note if it is read-only',
        'on error:     fail: `get` exits 1 with the reason',
        'deadline:     5000 ms per provider call',
        'cache:        off (cache.store: off)',
        'environment:  consulted first, in this order:',
        '  1. route mapping   CI_REGISTRY_USER (set), CI_REGISTRY_PASSWORD (set)',
        '  2. DOCKER_AUTH_CONFIG set',
        '  3. convention      DOCKER_CREDENTIAL_BRIDGE_REGISTRY_GITLAB_EXAMPLE___5050_USERNAME (unset), DOCKER_CREDENTIAL_BRIDGE_REGISTRY_GITLAB_EXAMPLE___5050_PASSWORD (unset)',
        '',
      ].join('\n'),
    );
    expect(result.stdout + result.stderr).not.toContain('explain-canary');
  });

  it('explains an unrouted registry and the rules it skipped', async () => {
    home.writeConfig(TRIPWIRE_CONFIG);
    const result = await home.run(['explain', 'quay.io']);
    expect(result.stdout).toContain('skipped:      routes[1] match "ghcr.io": no pattern fits quay.io');
    expect(result.stdout).toContain('route:        none: no rule matches and there is no default');
  });
});

describe('parallel processes', () => {
  it('16 concurrent `store`s into the encrypted file all land', async () => {
    const other = new BridgeHome();
    try {
      const hosts = Array.from({ length: 16 }, (_, i) => `parallel-${i}.example:5000`);
      const results = await Promise.all(hosts.map((h, i) => other.run(['store'], JSON.stringify({ ServerURL: h, Username: `u${i}`, Secret: `s${i}` }))));
      for (const result of results) expect(result).toMatchObject({ code: 0, stdout: '' });
      const listed = JSON.parse((await other.run(['list'])).stdout) as Record<string, string>;
      expect(listed).toEqual(Object.fromEntries(hosts.map((h, i) => [h, `u${i}`])));
      expect(existsSync(join(other.dataDir, 'credentials.age'))).toBe(true);
    } finally {
      other.remove();
    }
  });
});
