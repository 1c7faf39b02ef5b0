import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { missingCommands, run } from '../support/processes.js';
import { type SecretService, secretServiceMissing, startSecretService } from '../support/secret-service.js';
import {
  credentialLine,
  type Keyring,
  keyctlMissing,
  privateKeyringMissing,
  purgeKeyutilsEntries,
  putSecret,
  readsOf,
  runBridge,
  vaultConfig,
} from './support.js';

let bao: OpenBao | undefined;
let secrets: SecretService | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const keyring = (): SecretService => {
  if (secrets === undefined) throw new Error('Secret Service not started');
  return secrets;
};

/** A home whose helper sees the private gnome-keyring's bus. */
function homeWith(): {
  home: BridgeHome;
  run: (keyring: Keyring, args: string[], stdin?: string, env?: Record<string, string>) => ReturnType<typeof runBridge>;
} {
  const home = new BridgeHome();
  return {
    home,
    run: (ring, args, stdin = '', env = {}) =>
      runBridge(home, ring, args, stdin, {
        VAULT_TOKEN: server().rootToken,
        DBUS_SESSION_BUS_ADDRESS: keyring().env.DBUS_SESSION_BUS_ADDRESS,
        ...env,
      }).then((r) => {
        if (r.stderr.includes('Failed to set fd limit')) return { ...r, stderr: r.stderr.replace(/.*Failed to set fd limit.*\n/g, '') };
        return r;
      }),
  };
}

const missing =
  openbaoMissing() ?? secretServiceMissing() ?? missingCommands('secret-tool', 'dbus-send') ?? keyctlMissing() ?? privateKeyringMissing();

/**
 * The cache on Secret Service: a real gnome-keyring on a private D-Bus (entries visible with
 * secret-tool), a locked collection, and the fallback from keyutils when entries there die with
 * the process that wrote them.
 */
describeIntegration('cache on Secret Service (gnome-keyring), in front of OpenBao', missing, () => {
  beforeAll(async () => {
    [bao, secrets] = await Promise.all([startOpenBao(), startSecretService()]);
  });
  afterAll(async () => {
    if (bao !== undefined) purgeKeyutilsEntries(bao);
    await Promise.all([bao?.stop(), secrets?.stop()]);
  });

  describe('store: secret-service', () => {
    const { home, run: bridge } = homeWith();
    beforeAll(() => {
      home.writeConfig(vaultConfig(server(), 'routes: [{match: "*.ss.test", provider: corp}]\ncache: {store: secret-service}\n'));
    });
    afterAll(() => home.remove());

    it('keeps entries in the keyring, where secret-tool sees them; hits make no backend call', async () => {
      await putSecret(server(), 'seen.ss.test', 'ss-user', 'ss-secret');
      for (let i = 0; i < 3; i++)
        expect(await bridge('none', ['get'], 'seen.ss.test')).toMatchObject({
          code: 0,
          stdout: credentialLine('seen.ss.test', 'ss-user', 'ss-secret'),
          stderr: '',
        });
      expect(readsOf(server(), 'seen.ss.test')).toBe(1);
      const found = await run(['secret-tool', 'search', '--all', 'service', 'docker-credential-bridge-cache'], { env: keyring().env });
      expect(found.stdout + found.stderr).toMatch(/username = corp-[0-9a-f]{12}(?:-[0-9a-f]{8})?\/seen\.ss\.test/);
      // The local store's service never sees cache entries.
      const local = await run(['secret-tool', 'search', '--all', 'service', 'docker-credential-bridge'], { env: keyring().env });
      expect(local.stdout + local.stderr).not.toContain('seen.ss.test');
      expect((await bridge('none', ['cache', 'list'])).stdout).toMatch(/^seen\.ss\.test\s+corp\s+credential\s+secret-service\s/m);
    });

    it('a locked keyring: get still answers from the backend, the keyring is then left alone for a while, doctor says why', async () => {
      await putSecret(server(), 'locked.ss.test', 'lk', 'locked-secret');
      expect((await bridge('none', ['get'], 'locked.ss.test')).code).toBe(0);
      expect(readsOf(server(), 'locked.ss.test')).toBe(1);
      await keyring().lock();
      try {
        const first = await bridge('none', ['get'], 'locked.ss.test');
        expect(first).toMatchObject({ code: 0, stdout: credentialLine('locked.ss.test', 'lk', 'locked-secret'), stderr: '' });
        expect(readsOf(server(), 'locked.ss.test')).toBe(2);
        const next = await bridge('none', ['get'], 'locked.ss.test', { DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' });
        expect(next.code).toBe(0);
        expect(next.stderr).toMatch(/debug cache\.store-skipped store=secret-service reason=/);
        expect(readsOf(server(), 'locked.ss.test')).toBe(3);

        const doctor = await bridge('none', ['doctor']);
        expect(doctor.code).toBe(0);
        expect(doctor.stdout).toContain('Secret Service (D-Bus)              unusable: the default collection is locked');
        expect(doctor.stdout).toMatch(/^cache:\s+WARNING unusable here, so every get asks the provider/m);
        expect((await bridge('none', ['explain', 'locked.ss.test'])).stdout).toMatch(
          /^cache:\s+unusable here, so every get asks the provider \(secret-service: the default collection is locked/m,
        );
        expect(await keyring().isLocked()).toBe(true); // nothing unlocked it (no prompt was answered)
      } finally {
        await keyring().unlock();
      }
      const doctor = await bridge('none', ['doctor']);
      expect(doctor.stdout).toContain('Secret Service (D-Bus)              ok: works');
      // Unlocked, and doctor forgot the failure: the entry written before the lock answers again.
      expect((await bridge('none', ['get'], 'locked.ss.test')).code).toBe(0);
      expect((await bridge('none', ['get'], 'locked.ss.test')).code).toBe(0);
      expect(readsOf(server(), 'locked.ss.test')).toBe(3);
    });
  });

  describe('store: auto', () => {
    const { home, run: bridge } = homeWith();
    beforeAll(() => {
      home.writeConfig(vaultConfig(server(), 'routes: [{match: "*.auto.test", provider: corp}]\n'));
    });
    afterAll(() => home.remove());

    it('where keyutils entries die with their process, finds that out and moves to Secret Service', async () => {
      await putSecret(server(), 'fallback.auto.test', 'fb', 'fallback-secret');
      for (let i = 0; i < 4; i++)
        expect(await bridge('private', ['get'], 'fallback.auto.test')).toMatchObject({
          code: 0,
          stdout: credentialLine('fallback.auto.test', 'fb', 'fallback-secret'),
          stderr: '',
        });
      // The first entry went to a keyring that died with its writer; the second run saw that and wrote to Secret Service.
      expect(readsOf(server(), 'fallback.auto.test')).toBe(2);
      expect((await bridge('private', ['cache', 'list'])).stdout).toMatch(/^fallback\.auto\.test\s+corp\s+credential\s+secret-service\s/m);
      // (explain's probe cannot tell here: its child process shares the namespace's keyrings)
      const explained = (await bridge('private', ['explain', 'fallback.auto.test'])).stdout;
      expect(explained).toMatch(/^cache entry:\s+credential in secret-service, /m);
    });

    it('without a session keyring, keyutils still comes first (the persistent keyring) and Secret Service is not written', async () => {
      await putSecret(server(), 'bare.auto.test', 'bb', 'bare-secret');
      for (let i = 0; i < 3; i++)
        expect((await bridge('none', ['get'], 'bare.auto.test')).stdout).toBe(credentialLine('bare.auto.test', 'bb', 'bare-secret'));
      expect(readsOf(server(), 'bare.auto.test')).toBe(1);
      expect((await bridge('none', ['cache', 'list'])).stdout).toMatch(/^bare\.auto\.test\s+corp\s+credential\s+keyutils\s/m);
      expect((await bridge('none', ['explain', 'bare.auto.test'])).stdout).toMatch(/^cache:\s+keyutils \(Linux kernel keyring\)/m);
      const found = await run(['secret-tool', 'search', '--all', 'service', 'docker-credential-bridge-cache'], { env: keyring().env });
      expect(found.stdout + found.stderr).not.toContain('bare.auto.test');
      await bridge('none', ['cache', 'clear']);
    });

    it('with a session keyring, keyutils comes first and Secret Service is not written', async () => {
      await putSecret(server(), 'kernel.auto.test', 'kk', 'kernel-secret');
      for (let i = 0; i < 2; i++) expect((await bridge('session', ['get'], 'kernel.auto.test')).code).toBe(0);
      expect(readsOf(server(), 'kernel.auto.test')).toBe(1);
      expect((await bridge('none', ['cache', 'list'])).stdout).toMatch(/^kernel\.auto\.test\s+corp\s+credential\s+keyutils\s/m);
      const found = await run(['secret-tool', 'search', '--all', 'service', 'docker-credential-bridge-cache'], { env: keyring().env });
      expect(found.stdout + found.stderr).not.toContain('kernel.auto.test');
      await bridge('session', ['cache', 'clear']);
    });
  });
});
