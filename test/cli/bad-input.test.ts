import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BridgeHome, expectOneLine } from '../support/bridge.js';

const home = new BridgeHome();
afterAll(() => home.remove());

/** Every bad input: one clear line on stdout, exit 1, no stack trace, nothing stored. */
async function expectRejected(args: string[], stdin: string | Buffer, message: string | RegExp, env = {}) {
  const result = await home.run(args, stdin, env);
  expect(result.code).toBe(1);
  const line = expectOneLine(result);
  if (typeof message === 'string') expect(line).toBe(message);
  else expect(line).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(existsSync(home.dataDir)).toBe(false);
}

describe('bad input on stdin', () => {
  const store = (stdin: string | Buffer, message: string | RegExp) => expectRejected(['store'], stdin, message);
  it('empty stdin', () => store('', 'store expects a JSON object on stdin ({"ServerURL","Username","Secret"}); got nothing'));
  it('whitespace only', () => store(' \n\t ', 'store expects a JSON object on stdin ({"ServerURL","Username","Secret"}); got nothing'));
  it('invalid JSON (and the secret in it is not quoted back)', () => store('{"ServerURL":"a.io","Secret":"hunter2"', 'store input is not valid JSON'));
  it('JSON that is not an object', async () => {
    await store('["a.io","u","p"]', 'store input must be a JSON object with ServerURL, Username and Secret');
    await store('"a.io"', 'store input must be a JSON object with ServerURL, Username and Secret');
    await store('null', 'store input must be a JSON object with ServerURL, Username and Secret');
  });
  it('missing or empty ServerURL', async () => {
    await store('{"Username":"u","Secret":"p"}', 'no credentials server URL');
    await store('{"ServerURL":"  ","Username":"u","Secret":"p"}', 'no credentials server URL');
  });
  it('missing or empty Username', async () => {
    await store('{"ServerURL":"a.io","Secret":"p"}', 'no credentials username');
    await store('{"ServerURL":"a.io","Username":"","Secret":"p"}', 'no credentials username');
  });
  it('fields of the wrong type', () => store('{"ServerURL":5000,"Username":"u","Secret":"p"}', 'store input: ServerURL must be a string'));
  it('10 MB of stdin', () => store(Buffer.alloc(10 * 1024 * 1024, 'a'), 'stdin is larger than 1 MiB; refusing it'));
  it('invalid UTF-8', async () => {
    await store(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'stdin is not valid UTF-8');
    await expectRejected(['get'], Buffer.from([0x61, 0xc3, 0x28]), 'stdin is not valid UTF-8');
  });
  it('a ServerURL with an unsupported scheme or no host', async () => {
    await expectRejected(['get'], 'ftp://a.io', 'unsupported scheme: ftp');
    await expectRejected(['get'], 'https://', 'no hostname in URL');
    await store('{"ServerURL":"ftp://a.io","Username":"u","Secret":"p"}', 'unsupported scheme: ftp');
  });
  it('get or erase with nothing', async () => {
    await expectRejected(['get'], '', 'no credentials server URL');
    await expectRejected(['erase'], '\n', 'no credentials server URL');
  });
});

describe('bad command lines', () => {
  it('an unknown action', () => expectRejected(['fetch'], '', 'docker-credential-bridge: unknown action: fetch'));
  it('no action: usage on stdout, exit 1', async () => {
    const result = await home.run([]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Usage: docker-credential-bridge <store\|get\|erase\|list\|version>\n/);
  });
  it('extra arguments: usage on stdout, exit 1', async () => {
    const result = await home.run(['get', 'ghcr.io'], 'ghcr.io');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^Usage: /);
  });
  it('explain without its argument: exit 2 with a message on stderr', async () => {
    const result = await home.run(['explain']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^docker-credential-bridge explain: explain takes exactly one server URL\n/);
  });
});

describe('bad config', () => {
  const withConfig = async (yaml: string, message: RegExp, prepare?: (path: string) => void) => {
    const path = home.writeConfig(yaml);
    prepare?.(path);
    try {
      await expectRejected(['get'], 'ghcr.io', message);
      await expectRejected(['store'], '{"ServerURL":"ghcr.io","Username":"u","Secret":"p"}', message);
    } finally {
      chmodSync(path, 0o600);
      chmodSync(home.configDir, 0o700);
    }
  };
  it('a syntax error', () => withConfig('providers: {local: {type: local}\nroutes: [', /^config .*config\.yaml: YAML syntax error at line \d+, column \d+$/));
  it('an unknown provider type', () => withConfig('providers: {v: {type: hashivault}}\n', /^config .*: providers\.v\.type: unknown provider type "hashivault" \(valid: env, local, vault\)$/));
  it('a route to an undefined provider', () =>
    withConfig('providers: {local: {type: local}}\nroutes: [{match: ghcr.io, provider: vault}]\n', /^config .*: routes\[0\]\.provider: provider "vault" is not defined under providers \(defined: local\)$/));
  it('a config file writable by others', () =>
    withConfig('providers: {local: {type: local}}\n', /^config file .*config\.yaml is writable by group or others \(mode 0666\); refusing it: run chmod go-w .*config\.yaml$/, (p) => chmodSync(p, 0o666)));
  it('a config directory writable by others', () =>
    withConfig('providers: {local: {type: local}}\n', /^config directory .* is writable by group or others \(mode 0777\); refusing it: run chmod go-w /, () => chmodSync(home.configDir, 0o777)));
  it('an explicit config path that does not exist', () =>
    expectRejected(['get'], 'ghcr.io', /^config file \/nonexistent\/bridge\.yaml \(from DOCKER_CREDENTIAL_BRIDGE_CONFIG\) does not exist$/, {
      DOCKER_CREDENTIAL_BRIDGE_CONFIG: '/nonexistent/bridge.yaml',
    }));
});

describe('an unusable keychain', () => {
  it('falls back to the encrypted file with one note when the D-Bus address leads nowhere', async () => {
    const other = new BridgeHome();
    try {
      mkdirSync(other.dir, { recursive: true });
      const env = { DBUS_SESSION_BUS_ADDRESS: `unix:path=${other.dir}/no-such-bus` };
      const stored = await other.run(['store'], '{"ServerURL":"fallback.example","Username":"u","Secret":"fb-secret"}', env);
      expect(stored.code).toBe(0);
      expect(stored.stdout).toBe('');
      expect(stored.stderr).toMatch(/^docker-credential-bridge: OS keychain unavailable \(.+\); using the encrypted file store .*credentials\.age\n$/);
      expect(stored.stderr).not.toContain('fb-secret');
      const got = await other.run(['get'], 'fallback.example', env);
      expect(got.stdout).toBe('{"ServerURL":"fallback.example","Username":"u","Secret":"fb-secret"}\n');
      expect(existsSync(`${other.dataDir}/credentials.age`)).toBe(true);
    } finally {
      other.remove();
    }
  });
});
