import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bareHostKey, normalizeServerUrl, parseServerUrl } from '../../src/server-url.js';

// Every ServerURL form listed in ../shared/design/protocol.md, and what the bridge keys it as.
const CASES: Array<[input: string, key: string]> = [
  // Docker Hub: every spelling is one registry…
  ['https://index.docker.io/v1/', 'docker.io'],
  ['https://index.docker.io/v1', 'docker.io'],
  ['index.docker.io', 'docker.io'],
  ['docker.io', 'docker.io'],
  ['registry-1.docker.io', 'docker.io'],
  ['https://registry-1.docker.io/v2/', 'docker.io'],
  ['registry.hub.docker.com', 'docker.io'],
  ['HTTPS://Index.Docker.IO/v1/', 'docker.io'],
  // …but Hub web login's token keys stay distinct.
  ['https://index.docker.io/v1/access-token', 'docker.io/access-token'],
  ['https://index.docker.io/v1/refresh-token', 'docker.io/refresh-token'],
  // Bare host[:port], as most clients send.
  ['ghcr.io', 'ghcr.io'],
  ['GHCR.IO', 'ghcr.io'],
  ['reg.example.com:5000', 'reg.example.com:5000'],
  ['localhost:5000', 'localhost:5000'],
  ['127.0.0.1:5000', '127.0.0.1:5000'],
  ['[::1]:5000', '[::1]:5000'],
  ['[::1]', '[::1]'],
  ['[2001:DB8::1]:443', '[2001:db8::1]'],
  // Schemes, default ports, paths, query strings.
  ['https://ghcr.io', 'ghcr.io'],
  ['http://ghcr.io', 'ghcr.io'],
  ['https://ghcr.io/', 'ghcr.io'],
  ['https://ghcr.io:443', 'ghcr.io'],
  ['http://reg.example.com:80', 'reg.example.com'],
  ['http://reg.example.com:443', 'reg.example.com:443'],
  ['https://reg.example.com:5000/v2/', 'reg.example.com:5000/v2'],
  ['reg.example.com/team/', 'reg.example.com/team'],
  ['https://reg.example.com/path?query=1#frag', 'reg.example.com/path'],
  ['  ghcr.io\n', 'ghcr.io'],
  ['xn--bcher-kva.example:5000', 'xn--bcher-kva.example:5000'],
];

describe('normalizeServerUrl', () => {
  it.each(CASES)('%j → %j', (input, key) => {
    expect(normalizeServerUrl(input).key).toBe(key);
  });

  it('keeps the ServerURL exactly as sent (trimmed) so get can echo it', () => {
    expect(normalizeServerUrl(' https://index.docker.io/v1/\n').serverURL).toBe('https://index.docker.io/v1/');
  });

  it('tells localhost and 127.0.0.1, and different ports, apart', () => {
    const keys = ['localhost:5000', '127.0.0.1:5000', 'localhost:5001', 'localhost'].map((u) => normalizeServerUrl(u).key);
    expect(new Set(keys).size).toBe(4);
  });

  it.each([
    ['', 'no credentials server URL'],
    ['   \n', 'no credentials server URL'],
    ['ftp://ghcr.io', 'unsupported scheme: ftp'],
    ['unix:///var/run/docker.sock', 'unsupported scheme: unix'],
    ['https://', 'no hostname in URL'],
    ['https:///path', 'no hostname in URL'],
    ['https://user:pw@ghcr.io', 'server URL must not contain a username or password'],
    ['ghcr io', 'invalid server URL'],
  ])('rejects %j with %j', (input, message) => {
    expect(() => normalizeServerUrl(input)).toThrow(message);
  });

  it('never echoes userinfo in its error', () => {
    try {
      normalizeServerUrl('https://alice:hunter2@ghcr.io');
      expect.unreachable();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
  });
});

describe('the bare host[:port] fast path agrees with the URL parser', () => {
  // Strings near the fast path's edges: case, hyphens, digits, hex, xn--, dots, ports, Hub hosts.
  const piece = fc.constantFrom(
    'a',
    'Z',
    '0',
    '9',
    '-',
    '.',
    ':',
    'x',
    'n',
    '-',
    'f',
    '1',
    '4',
    '3',
    '5',
    '6',
    'docker.io',
    'xn--',
    '0x',
    '443',
    '65535',
    '65536',
    '00',
  );
  const candidate = fc.array(piece, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''));
  const hosts = fc
    .tuple(
      fc.array(fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?$/), { minLength: 1, maxLength: 4 }),
      fc.option(fc.integer({ min: 0, max: 70_000 }), { nil: undefined }),
    )
    .map(([labels, port]) => `${labels.join('.')}${port === undefined ? '' : `:${port}`}`);

  it('takes every plain registry host (the common case)', () => {
    for (const input of [
      'ghcr.io',
      'quay.io',
      'registry.example.com:5000',
      'localhost:5000',
      'localhost',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    ]) {
      expect(bareHostKey(input), input).toBeDefined();
    }
    for (const input of [
      '127.0.0.1:5000',
      '[::1]:5000',
      'https://ghcr.io',
      'ghcr.io/',
      'xn--bcher-kva.example',
      'a.b.0x1f',
      'quay.io.',
      'ghcr.io:0443',
    ]) {
      expect(bareHostKey(input), input).toBeUndefined();
    }
  });

  it('answers exactly as the parser does wherever it answers at all', () => {
    fc.assert(
      fc.property(fc.oneof(candidate, hosts), (input) => {
        const fast = bareHostKey(input);
        if (fast === undefined) return;
        expect(fast).toEqual(parseServerUrl(input));
      }),
      { numRuns: 20_000 },
    );
  });
});
