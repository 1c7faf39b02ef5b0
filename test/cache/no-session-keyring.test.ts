import { afterAll, beforeAll, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { credentialLine, keyctlMissing, purgeKeyutilsEntries, putSecret, readsOf, runBridge, vaultConfig } from './support.js';

let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const home = new BridgeHome();
const NOT_FOUND = 'credentials not found in native keychain\n';
/** Bare: no `keyctl session -` and no D-Bus, as in CI jobs, containers that allow keyctl, cron, plain ssh. */
const bridge = (args: string[], stdin = '') => runBridge(home, 'none', args, stdin, { VAULT_TOKEN: server().rootToken });

/**
 * A process with no session keyring of its own: the keyring library's first keyutils call in it
 * looks in the user-session keyring, where its entries are not, and as a side effect gives the
 * process a session keyring holding the user's persistent keyring, where they are. So the first
 * read and the first delete of a process miss; the cache asks twice. Without that, an entry
 * survived `erase` (the delete missed) and the next `get` served the erased credential.
 */
describeIntegration('keyutils without a session keyring', openbaoMissing() ?? keyctlMissing(), () => {
  beforeAll(async () => {
    bao = await startOpenBao();
    home.writeConfig(vaultConfig(server(), 'routes: [{match: "*.nosession.test", provider: corp}]\n'));
  });
  afterAll(async () => {
    if (bao !== undefined) purgeKeyutilsEntries(bao);
    await bao?.stop();
    home.remove();
  });

  it('gets after the first are cache hits: one backend read for three gets', async () => {
    await putSecret(server(), 'hits.nosession.test', 'hu', 'hits-secret');
    for (let i = 0; i < 3; i++) {
      expect(await bridge(['get'], 'hits.nosession.test')).toMatchObject({
        code: 0,
        stdout: credentialLine('hits.nosession.test', 'hu', 'hits-secret'),
        stderr: '',
      });
    }
    expect(readsOf(server(), 'hits.nosession.test')).toBe(1);
  });

  it('erase removes the cached entry: the next get asks the backend and finds nothing', async () => {
    await putSecret(server(), 'erased.nosession.test', 'eu', 'erased-secret');
    expect((await bridge(['get'], 'erased.nosession.test')).stdout).toBe(credentialLine('erased.nosession.test', 'eu', 'erased-secret'));
    expect((await bridge(['erase'], 'erased.nosession.test')).code).toBe(0);
    const after = await bridge(['get'], 'erased.nosession.test');
    expect(after.stdout).toBe(NOT_FOUND);
    expect(after.code).toBe(1);
    expect(readsOf(server(), 'erased.nosession.test')).toBe(2);
  });

  it('store replaces the cached entry: the next get answers the new secret without a backend read', async () => {
    await putSecret(server(), 'stored.nosession.test', 'su', 'old-secret');
    expect((await bridge(['get'], 'stored.nosession.test')).stdout).toBe(credentialLine('stored.nosession.test', 'su', 'old-secret'));
    const stored = await bridge(['store'], JSON.stringify({ ServerURL: 'stored.nosession.test', Username: 'su', Secret: 'new-secret' }));
    expect(stored).toMatchObject({ code: 0, stderr: '' });
    expect(await bridge(['get'], 'stored.nosession.test')).toMatchObject({
      code: 0,
      stdout: credentialLine('stored.nosession.test', 'su', 'new-secret'),
      stderr: '',
    });
    expect(readsOf(server(), 'stored.nosession.test')).toBe(1);
  });
});
