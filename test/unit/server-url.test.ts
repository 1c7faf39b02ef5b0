import { describe, expect, it } from 'vitest';
import { normalizeServerUrl } from '../../src/server-url.js';

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
