import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { credentialLine, keyctlBlockMissing, purgeKeyutilsEntries, putSecret, readsOf, runBridge, vaultConfig } from './support.js';

let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const home = new BridgeHome();
const bridge = (args: string[], stdin = '') => runBridge(home, 'blocked', args, stdin, { VAULT_TOKEN: server().rootToken });

/**
 * No D-Bus and the kernel key syscalls refused by seccomp (a Docker container with the default
 * profile): the helper works, uncached, says so in explain and doctor, and never falls back to a file.
 */
describeIntegration('no usable keychain: uncached, never plaintext', openbaoMissing() ?? keyctlBlockMissing(), () => {
  beforeAll(async () => {
    bao = await startOpenBao();
    home.writeConfig(vaultConfig(server(), 'routes: [{match: "*.nokeyring.test", provider: corp}]\n'));
  });
  afterAll(async () => {
    if (bao !== undefined) purgeKeyutilsEntries(bao);
    await bao?.stop();
    home.remove();
  });

  it('every get answers, with nothing on stderr, and the backend is asked once per get', async () => {
    await putSecret(server(), 'plain.nokeyring.test', 'np', 'nokeyring-secret');
    for (let i = 0; i < 3; i++) {
      expect(await bridge(['get'], 'plain.nokeyring.test')).toMatchObject({
        code: 0,
        stdout: credentialLine('plain.nokeyring.test', 'np', 'nokeyring-secret'),
        stderr: '',
      });
    }
    expect(readsOf(server(), 'plain.nokeyring.test')).toBe(3);
  });

  it('explain and doctor say the cache is unusable, and why', async () => {
    const explained = await bridge(['explain', 'plain.nokeyring.test']);
    expect(explained.stdout).toMatch(
      /^cache:\s+unusable here, so every get asks the provider \(keyutils: .*; secret-service: no D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS is unset\)\); never written to disk instead$/m,
    );
    const doctor = await bridge(['doctor']);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/^ {2}keyutils \(Linux kernel keyring\)\s+unusable: /m);
    expect(doctor.stdout).toMatch(/^cache:\s+WARNING unusable here/m);
  });

  it('no file under the helper’s home holds the secret', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const files = walk(home.dir).filter((f) => statSync(f).isFile());
    expect(files.length).toBeGreaterThan(1); // the config, its snapshot and the cache index at least
    for (const file of files) {
      const bytes = readFileSync(file);
      expect(bytes.includes('nokeyring-secret'), file).toBe(false);
      expect(bytes.includes(Buffer.from('nokeyring-secret').toString('base64')), file).toBe(false);
    }
  });
});
