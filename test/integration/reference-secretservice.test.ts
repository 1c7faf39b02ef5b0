import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protocolSuite } from '../protocol/suite.js';
import { describeIntegration } from '../support/integration.js';
import { missingCommands, run } from '../support/processes.js';
import { type HelperUnderTest, runHelper } from '../support/run-helper.js';
import { type SecretService, secretServiceMissing, startSecretService } from '../support/secret-service.js';

// Runs the protocol suite against the reference helper: this is what proves the suite itself right.
const missing = secretServiceMissing() ?? missingCommands('docker-credential-secretservice', 'secret-tool');

describeIntegration('reference helper docker-credential-secretservice', missing, () => {
  let secretService: SecretService | undefined;
  beforeAll(async () => {
    secretService = await startSecretService();
  });
  afterAll(async () => {
    await secretService?.stop();
  });
  const env = (): Record<string, string> => {
    if (secretService === undefined) throw new Error('secret service not started');
    return secretService.env;
  };
  const reference: HelperUnderTest = {
    name: 'secretservice',
    command: ['docker-credential-secretservice'],
    env,
    bridge: false,
  };

  describe('protocol', () => {
    protocolSuite(reference);
  });

  describe('private Secret Service fixture', () => {
    it('keeps secrets in its own keyring, not the user session', async () => {
      expect(env().DBUS_SESSION_BUS_ADDRESS).toMatch(/^unix:path=/);
      expect(env().DBUS_SESSION_BUS_ADDRESS).not.toBe(process.env.DBUS_SESSION_BUS_ADDRESS);
      const stored = await run(['secret-tool', 'store', '--label=fixture', 'bridge-test', 'fixture'], {
        env: env(),
        stdin: 'fixture-secret',
      });
      expect(stored.code, stored.stderr).toBe(0);
      const found = await run(['secret-tool', 'lookup', 'bridge-test', 'fixture'], { env: env() });
      expect({ code: found.code, stdout: found.stdout }).toEqual({ code: 0, stdout: 'fixture-secret' });
    });

    it('lock refuses secret reads and unlock (no prompt) restores them', async () => {
      const ss = secretService;
      if (ss === undefined) throw new Error('secret service not started');
      const lookup = () => run(['secret-tool', 'lookup', 'bridge-test', 'lock'], { env: env(), timeoutMs: 10_000 });
      const saved = await run(['secret-tool', 'store', '--label=lock', 'bridge-test', 'lock'], { env: env(), stdin: 'lock-secret' });
      expect(saved.code, saved.stderr).toBe(0);
      expect((await lookup()).stdout).toBe('lock-secret');
      const stored = await runHelper(reference, ['store'], '{"ServerURL":"locked.example","Username":"u","Secret":"pw-locked"}\n');
      expect(stored.code).toBe(0);
      try {
        await ss.lock();
        expect(await ss.isLocked()).toBe(true);
        const locked = await lookup();
        expect({ code: locked.code, stdout: locked.stdout }).toEqual({ code: 1, stdout: '' });
        // A locked keychain must not hand out the secret. Observed from the reference 0.6.4: it
        // crashes (libsecret assertion, SIGSEGV, exit 2, empty stdout) on a stored key, answers
        // NOT_FOUND on a missing one, and store prints `Cannot create an item in a locked collection`.
        const get = await runHelper(reference, ['get'], 'locked.example');
        expect(get.code).not.toBe(0);
        expect(get.stdout).not.toContain('pw-locked');
        const store = await runHelper(reference, ['store'], '{"ServerURL":"locked2.example","Username":"u","Secret":"x"}\n');
        expect({ code: store.code, stdout: store.stdout }).toEqual({
          code: 1,
          stdout: 'Cannot create an item in a locked collection\n',
        });
      } finally {
        await ss.unlock();
      }
      expect(await ss.isLocked()).toBe(false);
      expect((await lookup()).stdout).toBe('lock-secret');
      const get = await runHelper(reference, ['get'], 'locked.example');
      expect({ code: get.code, stdout: get.stdout }).toEqual({
        code: 0,
        stdout: '{"ServerURL":"locked.example","Username":"u","Secret":"pw-locked"}\n',
      });
    });
  });
});
