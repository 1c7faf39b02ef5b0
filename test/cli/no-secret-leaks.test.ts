import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';

const CANARY = 'CANARY-7f3a9c-s3cr3t';
const home = new BridgeHome();
afterAll(() => home.remove());

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * Secrets never reach stderr (even with debug on), error lines, or any file in plain text.
 * Every path here handles the canary: successful verbs, failures that quote their input,
 * malformed environment variables, and config errors.
 */
describe('the secret never leaks', () => {
  const debug = { DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' };
  const outputs: Array<{ what: string; stdout: string; stderr: string }> = [];
  const record = async (what: string, args: string[], stdin = '', env: Record<string, string> = {}) => {
    const result = await home.run(args, stdin, { ...debug, ...env });
    outputs.push({ what, stdout: result.stdout, stderr: result.stderr });
    return result;
  };

  it('runs every path with the canary', async () => {
    await record('store', ['store'], JSON.stringify({ ServerURL: 'leak.example', Username: 'u', Secret: CANARY }));
    await record('store <token>', ['store'], JSON.stringify({ ServerURL: 'token.example', Username: '<token>', Secret: CANARY }));
    const got = await record('get', ['get'], 'leak.example');
    expect(got.stdout).toContain(CANARY); // the one place it belongs
    await record('list', ['list']);
    await record('invalid JSON', ['store'], `{"ServerURL":"leak.example","Secret":"${CANARY}"`);
    await record('wrong type', ['store'], JSON.stringify({ ServerURL: 'leak.example', Username: 'u', Secret: { value: CANARY } }));
    await record('no username', ['store'], JSON.stringify({ ServerURL: 'leak.example', Secret: CANARY }));
    await record('userinfo in URL', ['get'], `https://u:${CANARY}@leak.example`);
    await record('bad DOCKER_AUTH_CONFIG', ['get'], 'w.example', { DOCKER_AUTH_CONFIG: `{"auths": ${CANARY}` });
    await record('bad auth field', ['get'], 'x.example', { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'x.example': { auth: Buffer.from(CANARY).toString('base64') } } }) });
    await record('half a pair', ['get'], 'y.example', { DOCKER_CREDENTIAL_BRIDGE_Y_EXAMPLE_PASSWORD: CANARY });
    await record('env answer', ['get'], 'z.example', { DOCKER_CREDENTIAL_BRIDGE_Z_EXAMPLE_USERNAME: 'u', DOCKER_CREDENTIAL_BRIDGE_Z_EXAMPLE_PASSWORD: CANARY });
    await record('explain', ['explain', 'z.example'], '', { DOCKER_CREDENTIAL_BRIDGE_Z_EXAMPLE_USERNAME: 'u', DOCKER_CREDENTIAL_BRIDGE_Z_EXAMPLE_PASSWORD: CANARY });
    home.writeConfig(`providers: {local: {type: local}}\nroutes: [{match: a.io, provider: local, env: {username: U, password: "${CANARY}"}}]\n`);
    await record('config error', ['get'], 'a.io');
    home.writeConfig(`providers: {local: {type: local}\npassword: ${CANARY}\n`);
    await record('config syntax error', ['get'], 'a.io');
    await record('erase', ['erase'], 'leak.example');
    expect(outputs.length).toBeGreaterThan(10);
  });

  it('is in no stderr and in no stdout but get’s', () => {
    for (const { what, stdout, stderr } of outputs) {
      expect(stderr, `${what} stderr`).not.toContain(CANARY);
      expect(stderr, `${what} stderr`).not.toMatch(/\n\s+at /);
      if (what !== 'get' && what !== 'env answer') expect(stdout, `${what} stdout`).not.toContain(CANARY);
    }
    // Debug output really was on, so this is not passing for lack of output.
    expect(outputs.some(({ stderr }) => stderr.includes('debug get.env'))).toBe(true);
  });

  it('is in no file under the bridge’s home in plain text (nor base64)', () => {
    // The config files are the test's own, written with the canary on purpose.
    const files = filesUnder(home.dir).filter((f) => !f.startsWith(home.configDir));
    expect(files.some((f) => f.endsWith('credentials.age'))).toBe(true);
    for (const file of files) {
      if (!statSync(file).isFile()) continue;
      const bytes = readFileSync(file);
      expect(bytes.includes(CANARY), file).toBe(false);
      expect(bytes.includes(Buffer.from(CANARY).toString('base64')), file).toBe(false);
    }
  });
});
