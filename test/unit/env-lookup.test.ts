import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  conventionVarNames,
  decodeKeyFromEnv,
  encodeKeyForEnv,
  listConventionKeys,
  lookupEnvCredential,
} from '../../src/env-lookup.js';
import { normalizeServerUrl } from '../../src/server-url.js';
import type { Logger } from '../../providers/types.js';

function recordingLogger(): Logger & { notes: string[] } {
  const notes: string[] = [];
  return { notes, note: (m) => notes.push(m), debug: () => {} };
}

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
const hostKey = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
  .map(([labels, port]) => `${labels.join('.')}${port === undefined ? '' : `:${port}`}`);
const anyKey = fc.oneof(hostKey, fc.string({ minLength: 1, maxLength: 30 }), fc.constant('[::1]:5000'), fc.constant('docker.io/access-token'));

describe('env naming convention', () => {
  it.each([
    ['ghcr.io', 'GHCR_IO'],
    ['my-reg.example.com:5000', 'MY__REG_EXAMPLE_COM___5000'],
    ['xn--bcher-kva.example', 'XN____BCHER__KVA_EXAMPLE'],
    ['localhost:5000', 'LOCALHOST___5000'],
    ['127.0.0.1:5000', '127_0_0_1___5000'],
  ])('%s → %s', (key, encoded) => {
    expect(encodeKeyForEnv(key)).toBe(encoded);
    expect(decodeKeyFromEnv(encoded)).toBe(key);
  });

  it('writes keys that are not plain host[:port] (IPv6, paths) in hex form', () => {
    expect(encodeKeyForEnv('[::1]:5000')).toBe(`_${Buffer.from('[::1]:5000').toString('hex').toUpperCase()}`);
    expect(decodeKeyFromEnv(encodeKeyForEnv('docker.io/access-token'))).toBe('docker.io/access-token');
  });

  it('is port-aware and tells dashes from dots (where other conventions collide)', () => {
    const keys = ['my-reg.io', 'my.reg.io', 'my--reg.io', 'my-reg.io:5000', 'my-reg.io:5001', 'my.reg.io:5000'];
    expect(new Set(keys.map(encodeKeyForEnv)).size).toBe(keys.length);
  });

  it('round-trips every key (so it is collision-free): decode(encode(k)) = k', () => {
    fc.assert(fc.property(anyKey, (key) => decodeKeyFromEnv(encodeKeyForEnv(key)) === key), { numRuns: 5000 });
  });

  it('produces only portable variable-name characters', () => {
    fc.assert(fc.property(anyKey, (key) => /^[A-Z0-9_]+$/.test(encodeKeyForEnv(key))), { numRuns: 2000 });
  });

  it('rejects names that no key encodes to', () => {
    for (const name of ['A_____B', 'A__', '_X', '_4', 'a_b', 'A-B', '']) expect(decodeKeyFromEnv(name)).toBeUndefined();
  });
});

describe('lookupEnvCredential precedence', () => {
  const registry = normalizeServerUrl('registry.gitlab.example:5050');
  const names = conventionVarNames(registry);
  const authConfig = (user: string, secret: string) =>
    JSON.stringify({ auths: { 'https://registry.gitlab.example:5050': { auth: Buffer.from(`${user}:${secret}`).toString('base64') } } });
  const mapping = { username: 'CI_REGISTRY_USER', password: 'CI_REGISTRY_PASSWORD' };
  const all = {
    CI_REGISTRY_USER: 'mapped',
    CI_REGISTRY_PASSWORD: 'mapped-secret',
    DOCKER_AUTH_CONFIG: authConfig('docker', 'docker-secret'),
    [names.username]: 'convention',
    [names.password]: 'convention-secret',
  };

  it('uses the route mapping first', () => {
    expect(lookupEnvCredential(registry, mapping, all, recordingLogger())).toEqual({
      username: 'mapped',
      secret: 'mapped-secret',
      source: 'route mapping',
    });
  });

  it('then DOCKER_AUTH_CONFIG (matched by normalised key)', () => {
    const { CI_REGISTRY_USER: _u, CI_REGISTRY_PASSWORD: _p, ...env } = all;
    expect(lookupEnvCredential(registry, mapping, env, recordingLogger())).toMatchObject({ username: 'docker', secret: 'docker-secret' });
  });

  it('then the naming convention', () => {
    const { DOCKER_AUTH_CONFIG: _d, ...env } = all;
    expect(lookupEnvCredential(registry, undefined, env, recordingLogger())).toEqual({
      username: 'convention',
      secret: 'convention-secret',
      source: 'naming convention',
    });
  });

  it('finds nothing, and says why, when only half a pair is set', () => {
    const log = recordingLogger();
    expect(lookupEnvCredential(registry, mapping, { CI_REGISTRY_USER: 'x' }, log)).toBeUndefined();
    expect(log.notes).toEqual(['CI_REGISTRY_USER is set but CI_REGISTRY_PASSWORD is not; ignoring both']);
  });

  it('accepts an empty password (the protocol allows an empty Secret)', () => {
    expect(lookupEnvCredential(registry, undefined, { [names.username]: 'u', [names.password]: '' }, recordingLogger())).toMatchObject({
      username: 'u',
      secret: '',
    });
  });

  it('reads identity tokens and username/password fields from DOCKER_AUTH_CONFIG', () => {
    const hub = normalizeServerUrl('docker.io');
    const env = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'https://index.docker.io/v1/': { identitytoken: 'tok' } } }) };
    expect(lookupEnvCredential(hub, undefined, env, recordingLogger())).toMatchObject({ username: '<token>', secret: 'tok' });
    const plain = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'docker.io': { username: 'u', password: 'p' } } }) };
    expect(lookupEnvCredential(hub, undefined, plain, recordingLogger())).toMatchObject({ username: 'u', secret: 'p' });
  });

  it('ignores a malformed DOCKER_AUTH_CONFIG with a note that does not quote it', () => {
    const log = recordingLogger();
    expect(lookupEnvCredential(registry, undefined, { DOCKER_AUTH_CONFIG: '{"auths": "s3cr3t-value' }, log)).toBeUndefined();
    expect(log.notes).toHaveLength(1);
    expect(log.notes[0]).not.toContain('s3cr3t');
  });

  it('does not confuse registries that differ only by port', () => {
    const other = normalizeServerUrl('registry.gitlab.example:5051');
    expect(lookupEnvCredential(other, undefined, all, recordingLogger())).toBeUndefined();
  });

  it('lists the registries the convention has credentials for', () => {
    const env = { [names.username]: 'u', [names.password]: 'p', DOCKER_CREDENTIAL_BRIDGE_ORPHAN_USERNAME: 'x' };
    expect([...listConventionKeys(env)]).toEqual([['registry.gitlab.example:5050', 'u']]);
  });
});
