import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHelperDir } from './helper-dir.js';
import { type OciImage, writeOciImage } from './oci-image.js';
import { missingCommands, type RunResult, run, runOk } from './processes.js';
import { type Registry, registryMissing, startRegistry } from './registry.js';
import { type HelperUnderTest, runHelper } from './run-helper.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

const NOT_FOUND = 'credentials not found in native keychain\n';
const AUTH_ERROR = /unauthorized|authentication required|no basic auth credentials/i;

/** Why the client flows cannot run here (registry, skopeo, docker CLI), or undefined. */
export function clientFlowsMissing(): string | undefined {
  return registryMissing() ?? missingCommands('skopeo', 'docker');
}

/**
 * End-to-end flows of real clients (skopeo, docker CLI) against a real registry, with the helper
 * found on PATH as `docker-credential-<helperName>`. Call inside a describe. Steps within a flow
 * run in order and build on each other, as in a user's session; every step checks with `get`
 * whether the credential really is (or no longer is) in the helper.
 */
export function clientSuite(helperName: string, helperCommand: string[], envFn: () => Record<string, string | undefined>): void {
  const user = 'alice';
  const password = `pw-${randomBytes(8).toString('hex')}`;
  let work = '';
  let helperDir = '';
  let callLog = '';
  let authFile = '';
  let dockerConfig = '';
  let secured: Registry | undefined;
  let open: Registry | undefined;
  let image: OciImage | undefined;

  const host = (): string => secured?.host ?? '';
  const openHost = (): string => open?.host ?? '';

  /**
   * The clients' environment: the helper's own variables, the shim first on PATH, and private
   * config homes so neither client reads the user's ~/.docker or ~/.config/containers.
   */
  const clientEnv = (): Record<string, string | undefined> => {
    const env = envFn();
    return {
      HOME: join(work, 'home'),
      XDG_CONFIG_HOME: join(work, 'config'),
      XDG_RUNTIME_DIR: join(work, 'run'),
      ...env,
      PATH: `${helperDir}${delimiter}${env.PATH ?? process.env.PATH ?? ''}`,
      REGISTRY_AUTH_FILE: authFile,
      DOCKER_CONFIG: dockerConfig,
      // No daemon: docker login, logout and manifest inspect work without one.
      DOCKER_HOST: `unix://${join(work, 'no-docker-daemon.sock')}`,
    };
  };
  const helper: HelperUnderTest = { name: helperName, command: helperCommand, env: clientEnv, bridge: false };
  const client = (command: string[], stdin?: string): Promise<RunResult> =>
    run(command, { env: clientEnv(), stdin: stdin ?? '', timeoutMs: 40_000 });
  const get = (server: string): Promise<RunResult> => runHelper(helper, ['get'], server);
  const expectStored = async (server: string): Promise<void> => {
    const result = await get(server);
    expect({ code: result.code, stdout: result.stdout }, result.stderr).toEqual({
      code: 0,
      stdout: `{"ServerURL":"${server}","Username":"${user}","Secret":"${password}"}\n`,
    });
  };
  const expectNotStored = async (server: string): Promise<void> => {
    const result = await get(server);
    expect({ code: result.code, stdout: result.stdout }, result.stderr).toEqual({ code: 1, stdout: NOT_FOUND });
  };
  const calls = async (): Promise<string[]> => (await readFile(callLog, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
  const resetCalls = (): Promise<void> => writeFile(callLog, '');
  const expectOk = (result: RunResult): void => {
    expect(result.code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
  };

  beforeAll(async () => {
    work = makeTempDir('bridge-clients-');
    for (const dir of ['home', 'config', 'run', 'docker']) await mkdir(join(work, dir), { mode: 0o700 });
    callLog = join(work, 'helper-calls.log');
    helperDir = makeHelperDir(helperName, helperCommand, callLog);
    [secured, open] = await Promise.all([startRegistry({ users: { [user]: password } }), startRegistry({ users: {} })]);
    image = await writeOciImage(join(work, 'image'), 'v1');

    // Fixture images pushed without the helper (plain `auths` file, 0600), so the docker and
    // anonymous flows do not depend on the skopeo flow.
    const fixtureAuth = join(work, 'fixture-auth.json');
    const basic = Buffer.from(`${user}:${password}`).toString('base64');
    await writeFile(fixtureAuth, JSON.stringify({ auths: { [host()]: { auth: basic } } }), { mode: 0o600 });
    for (const [target, authfile] of [
      [`${host()}/fixture/hello:v1`, fixtureAuth],
      [`${openHost()}/fixture/hello:v1`, fixtureAuth],
    ] as const) {
      await runOk(['skopeo', 'copy', '--dest-tls-verify=false', '--dest-authfile', authfile, `oci:${image.dir}:v1`, `docker://${target}`], {
        env: {
          HOME: join(work, 'home'),
          XDG_CONFIG_HOME: join(work, 'config'),
          DOCKER_CONFIG: join(work, 'docker'),
          REGISTRY_AUTH_FILE: undefined,
        },
      });
    }

    // containers/image ignores credsStore: only a credHelpers entry reaches a helper.
    authFile = join(work, 'containers-auth.json');
    await writeFile(authFile, JSON.stringify({ credHelpers: { [host()]: helperName, [openHost()]: helperName } }), {
      mode: 0o600,
    });
    dockerConfig = join(work, 'docker');
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ credsStore: helperName }), { mode: 0o600 });
  });

  afterAll(async () => {
    await Promise.all([secured?.stop(), open?.stop()]);
    if (helperDir !== '') await removeTempDir(helperDir);
    if (work !== '') await removeTempDir(work);
  });

  describe('skopeo through credHelpers', () => {
    const inspect = () => client(['skopeo', 'inspect', '--tls-verify=false', `docker://${host()}/skopeo/pushed:v1`]);

    it('login with a wrong password fails and stores nothing', async () => {
      const result = await client(['skopeo', 'login', '--tls-verify=false', '-u', user, '--password-stdin', host()], 'wrong-password');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/invalid username\/password|unauthorized/i);
      await expectNotStored(host());
    });

    it('login stores the credential in the helper, not in auth.json', async () => {
      await resetCalls();
      const result = await client(['skopeo', 'login', '--tls-verify=false', '-u', user, '--password-stdin', host()], password);
      expectOk(result);
      expect(await calls()).toContain('store');
      await expectStored(host());
      expect(await readFile(authFile, 'utf8')).not.toContain(password);
    });

    it('copy pushes an image with the credential from the helper', async () => {
      await resetCalls();
      expectOk(await client(['skopeo', 'copy', '--dest-tls-verify=false', `oci:${image?.dir}:v1`, `docker://${host()}/skopeo/pushed:v1`]));
      expect(await calls()).toContain('get');
    });

    it('inspect reads the pushed image back', async () => {
      const result = await inspect();
      expectOk(result);
      expect(JSON.parse(result.stdout).Digest).toBe(image?.manifestDigest);
    });

    it('logout erases the credential, after which inspect is refused', async () => {
      await resetCalls();
      expectOk(await client(['skopeo', 'logout', '--tls-verify=false', host()]));
      expect(await calls()).toContain('erase');
      await expectNotStored(host());
      const result = await inspect();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(AUTH_ERROR);
    });

    it('a wrong credential handed out by the helper is refused by the registry', async () => {
      const stored = await runHelper(
        helper,
        ['store'],
        `${JSON.stringify({ ServerURL: host(), Username: user, Secret: 'not-the-password' })}\n`,
      );
      expect(stored.code, stored.stdout).toBe(0);
      try {
        const result = await inspect();
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(AUTH_ERROR);
      } finally {
        expect((await runHelper(helper, ['erase'], host())).code).toBe(0);
      }
    });
  });

  describe('docker CLI through credsStore', () => {
    const manifest = () => client(['docker', 'manifest', 'inspect', '--insecure', `${host()}/fixture/hello:v1`]);

    it('login with a wrong password fails and stores nothing', async () => {
      const result = await client(['docker', 'login', '-u', user, '--password-stdin', host()], 'wrong-password');
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/401|unauthorized/i);
      await expectNotStored(host());
    });

    it('login stores the credential in the helper, not in config.json', async () => {
      await resetCalls();
      const result = await client(['docker', 'login', '-u', user, '--password-stdin', host()], password);
      expectOk(result);
      expect(result.stdout).toContain('Login Succeeded');
      expect(await calls()).toContain('store');
      await expectStored(host());
      const config = await readFile(join(dockerConfig, 'config.json'), 'utf8');
      expect(config).not.toContain(password);
      expect(JSON.parse(config).auths?.[host()]?.auth).toBeUndefined();
    });

    it('manifest inspect reads the image with the credential from the helper', async () => {
      await resetCalls();
      const result = await manifest();
      expectOk(result);
      expect(await calls()).toContain('get');
      const parsed = JSON.parse(result.stdout);
      expect(parsed.config.digest).toBe(image?.configDigest);
      expect(parsed.layers[0].digest).toBe(image?.layerDigest);
    });

    it('logout erases the credential, after which manifest inspect is refused', async () => {
      await resetCalls();
      expectOk(await client(['docker', 'logout', host()]));
      expect(await calls()).toContain('erase');
      await expectNotStored(host());
      const result = await manifest();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(AUTH_ERROR);
    });
  });

  describe('a registry without auth, through the same helper config', () => {
    it('skopeo gets not-found from the helper and goes on anonymously', async () => {
      await expectNotStored(openHost());
      await resetCalls();
      const result = await client(['skopeo', 'inspect', '--tls-verify=false', `docker://${openHost()}/fixture/hello:v1`]);
      expectOk(result);
      expect(await calls()).toContain('get');
      expect(JSON.parse(result.stdout).Digest).toBe(image?.manifestDigest);
    });

    it('skopeo pushes anonymously after the helper answered not-found', async () => {
      await resetCalls();
      expectOk(
        await client(['skopeo', 'copy', '--dest-tls-verify=false', `oci:${image?.dir}:v1`, `docker://${openHost()}/anon/pushed:v1`]),
      );
      expect(await calls()).toContain('get');
    });

    it('docker manifest inspect gets not-found from the helper and goes on anonymously', async () => {
      await resetCalls();
      const result = await client(['docker', 'manifest', 'inspect', '--insecure', `${openHost()}/anon/pushed:v1`]);
      expectOk(result);
      expect(await calls()).toContain('get');
      expect(JSON.parse(result.stdout).layers[0].digest).toBe(image?.layerDigest);
      await expectNotStored(openHost());
    });
  });
}
