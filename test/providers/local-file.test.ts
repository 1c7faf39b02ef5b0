import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeServerUrl } from '../../src/server-url.js';
import { DATA_FILE, IDENTITY_FILE } from '../../providers/local/files.js';
import { create } from '../../providers/local/index.js';
import { quietLogger } from '../support/loggers.js';
import { testProvider } from './contract.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bridge-local-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const context = (env: Record<string, string | undefined> = {}) => ({
  name: 'local',
  env,
  log: quietLogger(),
  dataDir: '/nonexistent',
  cacheDir: '/nonexistent',
});

describe('local provider, age-encrypted file store', () => {
  const dir = join(tempDir(), 'store');
  testProvider({ readOnly: false, lists: true, create: () => create({ store: 'file', dir }, context()) });

  it('keeps nothing in plain text, with 0600 files in a 0700 directory', async () => {
    const provider = create({ store: 'file', dir }, context());
    const registry = normalizeServerUrl('plaintext-check.example:5000');
    await provider.store?.(registry, { serverURL: registry.serverURL, username: 'visible-user', secret: 'PLAINTEXT-CANARY' }, { signal: AbortSignal.timeout(10_000) });
    const data = readFileSync(join(dir, DATA_FILE));
    expect(data.includes('PLAINTEXT-CANARY')).toBe(false);
    expect(data.includes('visible-user')).toBe(false);
    expect(data.subarray(0, 21).toString()).toBe('age-encryption.org/v1');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, DATA_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, IDENTITY_FILE)).mode & 0o777).toBe(0o600);
    // No temp files left behind by the atomic write.
    expect(readdirSync(dir).sort()).toEqual([DATA_FILE, IDENTITY_FILE].sort());
  });
});

describe('local provider, auto mode without a D-Bus session', () => {
  const dir = join(tempDir(), 'auto');
  // No DBUS_SESSION_BUS_ADDRESS and no $XDG_RUNTIME_DIR/bus: the keychain is skipped without a call.
  testProvider({ readOnly: false, lists: true, create: () => create({ store: 'auto', dir }, context({ XDG_RUNTIME_DIR: tempDir() })) });
});

describe('local provider, parallel writers', () => {
  it('loses no update when many stores race on one file', async () => {
    const dir = join(tempDir(), 'race');
    const registries = Array.from({ length: 12 }, (_, i) => normalizeServerUrl(`race-${i}.example`));
    await Promise.all(
      registries.map((registry, i) =>
        create({ store: 'file', dir }, context()).store?.(registry, { serverURL: registry.serverURL, username: `u${i}`, secret: `s${i}` }, { signal: AbortSignal.timeout(30_000) }),
      ),
    );
    const listed = await create({ store: 'file', dir }, context()).list?.({ signal: AbortSignal.timeout(10_000) });
    expect([...(listed?.keys() ?? [])].sort()).toEqual(registries.map((r) => r.key).sort());
  });
});
