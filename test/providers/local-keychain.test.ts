import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeServerUrl } from '../../src/server-url.js';
import { create } from '../../providers/local/index.js';
import { KEYCHAIN_SERVICE } from '../../providers/local/keychain-store.js';
import { describeIntegration } from '../support/integration.js';
import { quietLogger } from '../support/loggers.js';
import { run } from '../support/processes.js';
import { type SecretService, secretServiceMissing, startSecretService } from '../support/secret-service.js';
import { testProvider } from './contract.js';

let secrets: SecretService;
const dataDir = mkdtempSync(join(tmpdir(), 'bridge-keychain-'));
const signal = () => ({ signal: AbortSignal.timeout(20_000) });

describeIntegration('local provider on a real Secret Service (gnome-keyring)', secretServiceMissing(), () => {
  beforeAll(async () => {
    secrets = await startSecretService();
    // The native keyring binding reads the bus address from this process's environment.
    Object.assign(process.env, secrets.env);
  });
  afterAll(async () => {
    await secrets?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const context = () => ({ name: 'local', env: { ...process.env }, log: quietLogger(), dataDir, cacheDir: dataDir });

  describe('keychain mode', () => {
    testProvider({ readOnly: false, lists: true, create: () => create({ store: 'keychain' }, context()) });
  });

  it('stores entries that secret-tool sees under the bridge service, and nothing in the file store', async () => {
    const provider = create({ store: 'auto', dir: join(dataDir, 'auto') }, context());
    const registry = normalizeServerUrl('seen-by-secret-tool.example:5000');
    await provider.store?.(registry, { serverURL: registry.serverURL, username: 'st-user', secret: 'st-secret' }, signal());
    const found = await run(['secret-tool', 'lookup', 'service', KEYCHAIN_SERVICE, 'username', registry.key], { env: secrets.env });
    expect(found.code).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual({ serverURL: registry.serverURL, username: 'st-user', secret: 'st-secret' });
    expect(await create({ store: 'file', dir: join(dataDir, 'auto') }, context()).get(registry, signal())).toBeUndefined();
  });

  it('falls back to the encrypted file when the keychain is locked, and says so once', async () => {
    const log = quietLogger();
    const dir = join(dataDir, 'locked');
    const registry = normalizeServerUrl('while-locked.example');
    const before = normalizeServerUrl('stored-before-lock.example');
    await create({ store: 'keychain' }, context()).store?.(before, { serverURL: before.serverURL, username: 'b', secret: 'b' }, signal());
    await secrets.lock();
    try {
      const provider = create({ store: 'auto', dir }, { ...context(), log });
      await provider.store?.(registry, { serverURL: registry.serverURL, username: 'lk', secret: 'locked-secret' }, signal());
      expect(await provider.get(registry, signal())).toMatchObject({ username: 'lk', secret: 'locked-secret' });
      expect(log.notes).toHaveLength(1);
      expect(log.notes[0]).toMatch(/^OS keychain unavailable \(.+\); using the encrypted file store .*credentials\.age$/);
      expect(log.notes[0]).not.toContain('locked-secret');
      // keychain mode fails with the reason instead of falling back
      await expect(create({ store: 'keychain' }, context()).get(before, signal())).rejects.toThrow(/^OS keychain: /);
    } finally {
      await secrets.unlock();
    }
    // Unlocked again: what was stored while locked is still found (auto reads both stores).
    expect(await create({ store: 'auto', dir }, context()).get(registry, signal())).toMatchObject({ secret: 'locked-secret' });
  });
});
