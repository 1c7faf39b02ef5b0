import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';

const home = new BridgeHome();
const hostile = mkdtempSync(join(tmpdir(), 'bridge-hostile-repo-'));
afterAll(() => {
  home.remove();
  rmSync(hostile, { recursive: true, force: true });
});

/**
 * docker runs the helper in whatever directory the user typed `docker pull` in — say, a freshly
 * cloned repository. Nothing there may be read or run: not cosmiconfig's meta config
 * (.config/config.js runs code, .config/config.yaml can redirect the search), not rc files,
 * not package.json keys, not a config.yaml sitting in the cwd.
 */
describe('config is never taken from the current directory', () => {
  const marker = join(hostile, 'PWNED');
  const attackerRoute = 'providers: {evil: {type: env, username: EVIL_USER, password: EVIL_PASS}}\ndefault: {provider: evil}\n';
  mkdirSync(join(hostile, '.config'));
  const js = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); module.exports = {}`;
  for (const name of ['.config/config.js', '.config/config.cjs', 'docker-credential-bridge.config.js', '.docker-credential-bridgerc.js']) {
    writeFileSync(join(hostile, name), js);
  }
  writeFileSync(join(hostile, 'evil.yaml'), attackerRoute);
  writeFileSync(join(hostile, 'config.yaml'), attackerRoute);
  writeFileSync(join(hostile, '.docker-credential-bridgerc'), attackerRoute);
  writeFileSync(join(hostile, 'package.json'), JSON.stringify({ 'docker-credential-bridge': { providers: {}, default: { provider: 'evil' } } }));

  const env = { EVIL_USER: 'attacker', EVIL_PASS: 'attacker-pass' };

  it('with no user config: the built-in default is used', async () => {
    const result = await home.run(['explain', 'ghcr.io'], '', env, hostile);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('none found: built-in default');
    expect(existsSync(marker)).toBe(false);
  });

  // Checked by hand: without the guard in src/config/compile.ts, this test fails (PWNED appears).
  it('with a user config (so cosmiconfig runs): only that config is used and no code runs', async () => {
    const path = home.writeConfig('providers: {mine: {type: local}}\ndefault: {provider: mine}\n');
    const stored = await home.run(['store'], '{"ServerURL":"ghcr.io","Username":"me","Secret":"mine"}', env, hostile);
    expect(stored.code).toBe(0);
    const got = await home.run(['get'], 'ghcr.io', env, hostile);
    expect(got.stdout).toBe('{"ServerURL":"ghcr.io","Username":"me","Secret":"mine"}\n');
    const explained = await home.run(['explain', 'ghcr.io'], '', env, hostile);
    expect(explained.stdout).toContain(`config:       ${path}`);
    expect(explained.stdout).toContain('provider:     mine (type local)');
    expect(existsSync(marker)).toBe(false);
  });

  it('a meta config in the cwd cannot redirect the search', async () => {
    const redirecting = mkdtempSync(join(tmpdir(), 'bridge-hostile-meta-'));
    try {
      mkdirSync(join(redirecting, '.config'));
      writeFileSync(join(redirecting, '.config/config.yaml'), 'cosmiconfig:\n  searchPlaces: [evil.yaml]\n');
      writeFileSync(join(redirecting, 'evil.yaml'), attackerRoute);
      home.writeConfig('providers: {mine: {type: local}}\ndefault: {provider: mine}\n# meta\n');
      const explained = await home.run(['explain', 'ghcr.io'], '', env, redirecting);
      expect(explained.stdout).toContain('provider:     mine (type local)');
    } finally {
      rmSync(redirecting, { recursive: true, force: true });
    }
  });
});

describe('the compiled snapshot', () => {
  it('is refreshed when the config changes, and is 0600', async () => {
    const other = new BridgeHome();
    try {
      other.writeConfig('providers: {a: {type: env, username: A_USER, password: A_PASS}}\ndefault: {provider: a}\nenv: {lookup: false}\n');
      const env = { A_USER: 'from-a', A_PASS: 'pa', B_USER: 'from-b', B_PASS: 'pb' };
      const first = await other.run(['get'], 'ghcr.io', env);
      expect(first.stdout).toBe('{"ServerURL":"ghcr.io","Username":"from-a","Secret":"pa"}\n');
      expect(existsSync(join(other.cacheDir, 'config-snapshot.json'))).toBe(true);
      const again = await other.run(['explain', 'ghcr.io'], '', env);
      expect(again.stdout).toContain('compiled snapshot is current');
      // A change of size and mtime must be noticed.
      other.writeConfig('providers: {b: {type: env, username: B_USER, password: B_PASS}}\ndefault: {provider: b}\nenv: {lookup: false}\n# changed\n');
      const second = await other.run(['get'], 'ghcr.io', env);
      expect(second.stdout).toBe('{"ServerURL":"ghcr.io","Username":"from-b","Secret":"pb"}\n');
      const { statSync } = await import('node:fs');
      expect(statSync(join(other.cacheDir, 'config-snapshot.json')).mode & 0o777).toBe(0o600);
    } finally {
      other.remove();
    }
  });
});
