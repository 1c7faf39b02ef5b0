import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { RunResult } from '../support/processes.js';
import { type HelperUnderTest, runHelper } from '../support/run-helper.js';
import { credentialLine } from './go-json.js';

const NOT_FOUND = 'credentials not found in native keychain\n';
const NO_SERVER_URL = 'no credentials server URL\n';
const NO_USERNAME = 'no credentials username\n';

const HUB_INDEX = 'https://index.docker.io/v1/';
/** Every spelling of Docker Hub that real clients send (protocol.md, "ServerURL forms that arrive"). */
const HUB_SPELLINGS = [HUB_INDEX, 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** Compares exit code and exact stdout; stderr is shown when they differ. */
function expectResult(result: RunResult, code: number, stdout: string): void {
  expect({ code: result.code, stdout: result.stdout }, `stderr: ${result.stderr}`).toEqual({ code, stdout });
}

/**
 * The docker-credential-helpers protocol as clients use it (shared/design/protocol.md), with
 * exact-bytes expectations. Call inside a describe. Every expectation holds for the reference
 * (docker-credential-secretservice 0.6.4); where the reference falls short of protocol.md the
 * expectation is guarded by `h.bridge` and the comment says what the reference does instead.
 * Cases run in order against one keychain; each uses its own keys (random suffix) except the
 * Docker Hub cases, which clean up after themselves.
 */
export function protocolSuite(h: HelperUnderTest): void {
  const suffix = randomBytes(4).toString('hex');
  /** A registry key unique to this suite run, in the bare host:port form most clients send. */
  const key = (label: string): string => `${label}-${suffix}.example:5000`;
  const helper = (args: string[], stdin?: string | Buffer): Promise<RunResult> => runHelper(h, args, stdin);
  const store = async (serverURL: string, username: string, secret: string): Promise<void> => {
    expectResult(await helper(['store'], credentialLine(serverURL, username, secret)), 0, '');
  };
  const list = async (): Promise<Record<string, string>> => {
    const result = await helper(['list'], 'unused');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
    return JSON.parse(result.stdout) as Record<string, string>;
  };
  const binary = `docker-credential-${h.name}`;

  it('store then get returns exactly the stored credential as one JSON line', async () => {
    const server = key('roundtrip');
    const secret = `s3cret-${randomBytes(8).toString('hex')}`;
    await store(server, 'alice', secret);
    // Go clients write the server URL without a trailing newline.
    const result = await helper(['get'], server);
    expectResult(result, 0, `{"ServerURL":"${server}","Username":"alice","Secret":"${secret}"}\n`);
    // stderr reaches the user's terminal: never the secret.
    expect(result.stderr).not.toContain(secret);
  });

  it('get accepts a server URL ending in a newline or CRLF (scripts add them)', async () => {
    const server = key('newline');
    await store(server, 'bob', 'pw-newline');
    for (const ending of ['\n', '\r\n']) {
      expectResult(await helper(['get'], `${server}${ending}`), 0, credentialLine(server, 'bob', 'pw-newline'));
    }
  });

  it('get of a missing key prints the not-found line and exits 1', async () => {
    expectResult(await helper(['get'], key('missing')), 1, NOT_FOUND);
  });

  it('store with an empty ServerURL is rejected', async () => {
    expectResult(await helper(['store'], credentialLine('', 'alice', 'pw')), 1, NO_SERVER_URL);
  });

  it('store with an empty Username is rejected and stores nothing', async () => {
    const server = key('nouser');
    expectResult(await helper(['store'], credentialLine(server, '', 'pw')), 1, NO_USERNAME);
    expectResult(await helper(['get'], server), 1, NOT_FOUND);
  });

  it('store with an empty Secret is accepted', async () => {
    const server = key('nosecret');
    await store(server, 'carol', '');
    expect(await list()).toMatchObject({ [server]: 'carol' });
    // protocol.md says nothing about `get` of an empty secret; the reference answers NOT_FOUND.
  });

  it('get and erase with an empty stdin ask for a server URL', async () => {
    expectResult(await helper(['get'], ''), 1, NO_SERVER_URL);
    expectResult(await helper(['erase'], ''), 1, NO_SERVER_URL);
  });

  it('erase of a key that is not stored exits 0 (skopeo crashes otherwise)', async () => {
    // The reference agrees: exit 0, empty stdout.
    expectResult(await helper(['erase'], key('never-stored')), 0, '');
  });

  it('store, get, erase, get: the credential is gone after erase', async () => {
    const server = key('erase');
    await store(server, 'dave', 'pw-erase');
    expectResult(await helper(['get'], server), 0, credentialLine(server, 'dave', 'pw-erase'));
    expectResult(await helper(['erase'], server), 0, '');
    expectResult(await helper(['get'], server), 1, NOT_FOUND);
    expect(await list()).not.toHaveProperty([server]);
  });

  it('list prints {} (never null) when nothing is stored', async () => {
    // Empty the keychain first: earlier cases stored keys in it.
    for (const server of Object.keys(await list())) {
      expectResult(await helper(['erase'], server), 0, '');
    }
    expectResult(await helper(['list'], 'unused'), 0, '{}\n');
  });

  it('list shows every stored key with its username', async () => {
    const first = key('list-one');
    const second = key('list-two');
    await store(first, 'erin', 'pw-1');
    await store(second, 'frank', 'pw-2');
    const result = await helper(['list'], 'unused');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toHaveLength(2); // one JSON line and the final newline
    expect(JSON.parse(result.stdout)).toMatchObject({ [first]: 'erin', [second]: 'frank' });
    expect(result.stdout).not.toContain('pw-1');
  });

  it('an identity token (<token> username) round-trips, escaped as Go escapes it', async () => {
    const server = key('token');
    const token = `eyJhbGciOi.${randomBytes(12).toString('hex')}`;
    // Docker writes the username Go-style: \u003ctoken\u003e.
    const stdin = `{"ServerURL":"${server}","Username":"\\u003ctoken\\u003e","Secret":"${token}"}\n`;
    expectResult(await helper(['store'], stdin), 0, '');
    const result = await helper(['get'], server);
    // The reference prints it the same way (Go's encoding/json escapes < and >).
    expectResult(result, 0, `{"ServerURL":"${server}","Username":"\\u003ctoken\\u003e","Secret":"${token}"}\n`);
    expect(JSON.parse(result.stdout)).toEqual({ ServerURL: server, Username: '<token>', Secret: token });
    const listed = await helper(['list'], 'unused');
    expect(listed.stdout).toContain(`"${server}":"\\u003ctoken\\u003e"`);
  });

  it('store matches JSON keys case-insensitively, as Go does', async () => {
    const server = key('casing');
    const stdin = `{"serverurl":"${server}","USERNAME":"gina","secret":"pw-case"}\n`;
    expectResult(await helper(['store'], stdin), 0, '');
    expectResult(await helper(['get'], server), 0, credentialLine(server, 'gina', 'pw-case'));
  });

  it('unicode usernames and secrets round-trip as UTF-8', async () => {
    const server = key('unicode');
    await store(server, 'üser', 'pä𝄞ß€ 密码');
    expectResult(await helper(['get'], server), 0, `{"ServerURL":"${server}","Username":"üser","Secret":"pä𝄞ß€ 密码"}\n`);
    // Input escaped as \u sequences (a surrogate pair included) is decoded on store.
    const escaped = key('unicode-escaped');
    const stdin = `{"ServerURL":"${escaped}","Username":"u","Secret":"\\u00e4\\ud834\\udd1e"}\n`;
    expectResult(await helper(['store'], stdin), 0, '');
    expectResult(await helper(['get'], escaped), 0, `{"ServerURL":"${escaped}","Username":"u","Secret":"ä𝄞"}\n`);
  });

  it('JSON-special characters in a secret round-trip', async () => {
    const server = key('special');
    const secret = 'a"b\\c&<>/\'{}$`x';
    await store(server, 'hank', secret);
    const result = await helper(['get'], server);
    expectResult(result, 0, credentialLine(server, 'hank', secret));
    expect(JSON.parse(result.stdout).Secret).toBe(secret);
  });

  it('a 16 KiB secret round-trips', async () => {
    const server = key('secret-16k');
    const secret = randomBytes(12 * 1024).toString('base64'); // 16 KiB of text
    await store(server, 'ivan', secret);
    expectResult(await helper(['get'], server), 0, credentialLine(server, 'ivan', secret));
  });

  if (h.bridge) {
    // The reference reads stdin with a bufio.Scanner (64 KiB line limit): store of this exits 1
    // with `bufio.Scanner: token too long`.
    it('a secret over 64 KiB round-trips', async () => {
      const server = key('secret-96k');
      const secret = randomBytes(72 * 1024).toString('base64'); // 96 KiB of text
      await store(server, 'judy', secret);
      expectResult(await helper(['get'], server), 0, credentialLine(server, 'judy', secret));
    });
  }

  it('storing again with the same username replaces the secret', async () => {
    const server = key('overwrite');
    await store(server, 'kate', 'first');
    await store(server, 'kate', 'second');
    expectResult(await helper(['get'], server), 0, credentialLine(server, 'kate', 'second'));
    expect(await list()).toMatchObject({ [server]: 'kate' });
  });

  if (h.bridge) {
    // The reference keeps both items when the username changes: `get` returns either one at
    // random and `list` shows the first.
    it('storing again with another username replaces the credential', async () => {
      const server = key('overwrite-user');
      await store(server, 'leo', 'first');
      await store(server, 'mia', 'second');
      expectResult(await helper(['get'], server), 0, credentialLine(server, 'mia', 'second'));
      expect(await list()).toMatchObject({ [server]: 'mia' });
    });
  }

  it('parallel stores of different keys all land', async () => {
    const servers = Array.from({ length: 6 }, (_, i) => key(`parallel-${i}`));
    await Promise.all(servers.map((server, i) => store(server, `user${i}`, `pw${i}`)));
    const results = await Promise.all(servers.map((server) => helper(['get'], server)));
    for (const [i, result] of results.entries()) {
      expectResult(result, 0, credentialLine(servers[i] ?? '', `user${i}`, `pw${i}`));
    }
  });

  it('version prints one line with a version number and exits 0', async () => {
    const result = await helper(['version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[^\n]*\d+\.\d+\.\d+[^\n]*\n$/);
    if (h.bridge) {
      // The reference prints only the number: `0.6.4\n`.
      expect(result.stdout).toMatch(new RegExp(`^${binary} \\([^()\\s]+\\) v?\\d+\\.\\d+\\.\\d+\\S*\\n$`));
    }
  });

  if (h.bridge) {
    // The reference knows only `version`: `--version`, `-v`, `--help`, `-h` print
    // "Unknown credential action `--version`" and exit 1.
    it('--version and -v print the version line; --help and -h print usage; all exit 0', async () => {
      const version = await helper(['version']);
      for (const flag of ['--version', '-v']) expectResult(await helper([flag]), 0, version.stdout);
      for (const flag of ['--help', '-h']) {
        const result = await helper([flag]);
        expect(result.code).toBe(0);
        expect(result.stdout).toMatch(/usage/i);
      }
    });
  }

  it('no argument prints usage on stdout and exits 1', async () => {
    const result = await helper([]);
    expect(result.code).toBe(1);
    // The reference: `Usage: docker-credential-secretservice <store|get|erase|list|version>\n`.
    expect(result.stdout).toMatch(/usage/i);
    for (const action of ['store', 'get', 'erase', 'list']) expect(result.stdout).toContain(action);
  });

  it('two arguments print usage, exit 1 and do nothing', async () => {
    const server = key('two-args');
    const result = await helper(['store', 'extra'], credentialLine(server, 'nina', 'pw'));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/usage/i);
    expectResult(await helper(['get'], server), 1, NOT_FOUND);
  });

  it('an unknown action is named in a one-line error, exit 1', async () => {
    const result = await helper(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^[^\n]*frobnicate[^\n]*\n$/);
    if (h.bridge) {
      // The reference prints "Unknown credential action `frobnicate`\n".
      expect(result.stdout).toBe(`${binary}: unknown action: frobnicate\n`);
    }
  });

  if (h.bridge) {
    // The reference stores and finds keys verbatim: only the spelling it was stored under answers.
    it('every Docker Hub spelling finds one credential, echoed as the client spelled it', async () => {
      for (const spelling of HUB_SPELLINGS) expectResult(await helper(['erase'], spelling), 0, '');
      for (const stored of HUB_SPELLINGS) {
        const secret = `hub-${randomBytes(6).toString('hex')}`;
        await store(stored, 'olga', secret);
        for (const asked of HUB_SPELLINGS) {
          expectResult(await helper(['get'], asked), 0, credentialLine(asked, 'olga', secret));
        }
        expectResult(await helper(['erase'], stored), 0, '');
        for (const asked of HUB_SPELLINGS) expectResult(await helper(['get'], asked), 1, NOT_FOUND);
      }
    });
  }

  it('Hub access-token and refresh-token are keys of their own', async () => {
    const keys = {
      [HUB_INDEX]: 'pw-index',
      [`${HUB_INDEX}access-token`]: 'access.jwt',
      [`${HUB_INDEX}refresh-token`]: 'v1.refresh..token',
    };
    // Fixed keys, shared with the alias case: start from none of them stored.
    for (const server of Object.keys(keys)) expectResult(await helper(['erase'], server), 0, '');
    for (const [server, secret] of Object.entries(keys)) await store(server, 'pete', secret);
    for (const [server, secret] of Object.entries(keys)) {
      expectResult(await helper(['get'], server), 0, credentialLine(server, 'pete', secret));
    }
    for (const server of Object.keys(keys)) expectResult(await helper(['erase'], server), 0, '');
    for (const server of Object.keys(keys)) expectResult(await helper(['get'], server), 1, NOT_FOUND);
  });

  it('get trims whitespace around the server URL', async () => {
    const server = key('trim');
    await store(server, 'quinn', 'pw-trim');
    expectResult(await helper(['get'], ` \t${server} \n`), 0, credentialLine(server, 'quinn', 'pw-trim'));
  });
}
