import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BRIDGE_COMMAND, BridgeHome } from '../support/bridge.js';
import { clientFlowsMissing, clientSuite } from '../support/client-flows.js';
import { makeHelperDir } from '../support/helper-dir.js';
import { describeIntegration } from '../support/integration.js';
import { type OciImage, writeOciImage } from '../support/oci-image.js';
import { dataOf, type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { type RunResult, run } from '../support/processes.js';
import { type Registry, startRegistry } from '../support/registry.js';
import { makeTempDir, removeTempDir } from '../support/temp-dir.js';

/**
 * Real clients, a real registry and a real Vault API (OpenBao): `skopeo login` through a
 * Vault-routed config lands the credential in Vault — checked with Vault's own API — and `get`
 * (skopeo copy) and `erase` (skopeo logout) round-trip. Then the shared client flows (skopeo and
 * the docker CLI) run with Vault as the store.
 */
let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};

describeIntegration('real clients with credentials in Vault (OpenBao)', clientFlowsMissing() ?? openbaoMissing(), () => {
  const home = new BridgeHome();
  const bridgeEnv = () => home.env({ VAULT_ADDR: server().address, VAULT_TOKEN: server().rootToken });

  beforeAll(async () => {
    bao = await startOpenBao();
    home.writeConfig('providers:\n  vault: {type: vault}\ndefault: {provider: vault}\n');
  });
  afterAll(async () => {
    await bao?.stop();
    home.remove();
  });

  describe('skopeo login / copy / logout with the credential checked in Vault', () => {
    const user = 'vault-alice';
    const password = `pw-${randomBytes(8).toString('hex')}`;
    let registry: Registry | undefined;
    let image: OciImage | undefined;
    let work = '';
    let helperDir = '';
    const host = () => registry?.host ?? '';
    const vaultPath = () => `secret/data/docker/${host()}`;

    const clientEnv = (): Record<string, string | undefined> => ({
      ...bridgeEnv(),
      PATH: `${helperDir}${delimiter}${process.env.PATH ?? ''}`,
      REGISTRY_AUTH_FILE: join(work, 'auth.json'),
      XDG_RUNTIME_DIR: join(work, 'run'),
    });
    const skopeo = (args: string[], stdin = ''): Promise<RunResult> => run(['skopeo', ...args], { env: clientEnv(), stdin, timeoutMs: 40_000 });
    const expectOk = (result: RunResult) => expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);

    beforeAll(async () => {
      work = makeTempDir('bridge-vault-clients-');
      await mkdir(join(work, 'run'), { mode: 0o700 });
      helperDir = makeHelperDir('bridge', BRIDGE_COMMAND);
      registry = await startRegistry({ users: { [user]: password } });
      image = await writeOciImage(join(work, 'image'), 'v1');
      // containers/image reaches a helper only through credHelpers.
      await writeFile(join(work, 'auth.json'), JSON.stringify({ credHelpers: { [host()]: 'bridge' } }), { mode: 0o600 });
    });
    afterAll(async () => {
      await registry?.stop();
      if (helperDir !== '') await removeTempDir(helperDir);
      if (work !== '') await removeTempDir(work);
    });

    it('skopeo login stores the credential in Vault, as Vault’s own API shows', async () => {
      expectOk(await skopeo(['login', '--tls-verify=false', '-u', user, '--password-stdin', host()], password));
      const stored = await server().apiOk('GET', vaultPath());
      expect(dataOf<{ data: unknown }>(stored).data).toEqual({ username: user, password, server_url: host() });
      expect(await readFile(join(work, 'auth.json'), 'utf8')).not.toContain(password);
    });

    it('get answers it, and skopeo pushes with it', async () => {
      const got = await run([...BRIDGE_COMMAND, 'get'], { stdin: host(), env: bridgeEnv() });
      expect(got.stdout).toBe(`{"ServerURL":"${host()}","Username":"${user}","Secret":"${password}"}\n`);
      expectOk(await skopeo(['copy', '--dest-tls-verify=false', `oci:${image?.dir}:v1`, `docker://${host()}/vault/pushed:v1`]));
      const inspected = await skopeo(['inspect', '--tls-verify=false', `docker://${host()}/vault/pushed:v1`]);
      expectOk(inspected);
      expect(JSON.parse(inspected.stdout).Digest).toBe(image?.manifestDigest);
    });

    it('skopeo logout erases it from Vault (the latest version is deleted), after which the registry refuses', async () => {
      expectOk(await skopeo(['logout', '--tls-verify=false', host()]));
      expect((await server().api('GET', vaultPath())).status).toBe(404);
      const metadata = await server().apiOk('GET', `secret/metadata/docker/${host()}`);
      expect(dataOf<{ current_version: number }>(metadata).current_version).toBe(1);
      const got = await run([...BRIDGE_COMMAND, 'get'], { stdin: host(), env: bridgeEnv() });
      expect({ code: got.code, stdout: got.stdout }).toEqual({ code: 1, stdout: 'credentials not found in native keychain\n' });
      const refused = await skopeo(['inspect', '--tls-verify=false', `docker://${host()}/vault/pushed:v1`]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/unauthorized|authentication required/i);
    });
  });

  describe('the shared client flows, Vault as the store', () => {
    clientSuite('bridge', BRIDGE_COMMAND, bridgeEnv);
  });
});
