import { describe, expect, it } from 'vitest';
import { effectiveTimes, freshness, makeEnvelope, parseEnvelope } from '../../src/cache/envelope.js';
import type { CachePolicy } from '../../src/config/types.js';

const MIN = 60_000;
const policy: CachePolicy = { ttlMs: 15 * MIN, negativeTtlMs: 45_000, staleIfErrorMs: undefined };
const T0 = 1_800_000_000_000;
const cred = { username: 'u', secret: 's' };

describe('lifetime: L = min(ttl, backend expiry − fetchedAt), refresh after L/2', () => {
  it('uses the TTL when the backend reports no expiry', () => {
    expect(makeEnvelope('corp', cred, policy, T0)).toEqual({
      v: 1,
      fetchedAt: T0,
      refreshAfter: T0 + 7.5 * MIN,
      expiresAt: T0 + 15 * MIN,
      source: 'corp',
      credential: cred,
    });
  });
  it('a shorter backend expiry wins (an ECR token, a Vault lease)', () => {
    const envelope = makeEnvelope('ecr', { ...cred, expiresAt: T0 + 4 * MIN }, policy, T0);
    expect(envelope).toMatchObject({ refreshAfter: T0 + 2 * MIN, expiresAt: T0 + 4 * MIN });
  });
  it('a longer backend expiry does not stretch the TTL', () => {
    expect(makeEnvelope('v', { ...cred, expiresAt: T0 + 12 * 60 * MIN }, policy, T0)).toMatchObject({ expiresAt: T0 + 15 * MIN });
  });
  it('an answer already expired, or about to, is not cached', () => {
    expect(makeEnvelope('v', { ...cred, expiresAt: T0 - 1 }, policy, T0)).toBeUndefined();
    expect(makeEnvelope('v', { ...cred, expiresAt: T0 + 500 }, policy, T0)).toBeUndefined();
  });
  it('not found is remembered for negativeTtl, with no refresh window, and not at all with 0', () => {
    expect(makeEnvelope('v', undefined, policy, T0)).toEqual({
      v: 1,
      fetchedAt: T0,
      refreshAfter: T0 + 45_000,
      expiresAt: T0 + 45_000,
      source: 'v',
    });
    expect(makeEnvelope('v', undefined, { ...policy, negativeTtlMs: 0 }, T0)).toBeUndefined();
  });
  it('keeps no field of the credential but username and secret', () => {
    const envelope = makeEnvelope('v', { username: 'u', secret: 's', serverURL: 'x', extra: 'y' } as never, policy, T0);
    expect(envelope?.credential).toEqual({ username: 'u', secret: 's' });
  });
});

describe('freshness', () => {
  const envelope = makeEnvelope('corp', cred, policy, T0);
  if (envelope === undefined) throw new Error('no envelope');
  it.each([
    ['just written', T0, { state: 'fresh' }],
    ['before refreshAfter', T0 + 7.5 * MIN - 1, { state: 'fresh' }],
    ['at refreshAfter: ask the backend, stale allowed', T0 + 7.5 * MIN, { state: 'refresh', staleOk: true }],
    ['just before expiresAt', T0 + 15 * MIN - 1, { state: 'refresh', staleOk: true }],
    ['at expiresAt: never served', T0 + 15 * MIN, undefined],
    ['clock moved back over a minute: not trusted', T0 - 2 * MIN, undefined],
  ])('%s', (_, now, expected) => {
    expect(freshness(envelope, policy, now)).toEqual(expected);
  });
  it('staleIfError bounds how long past refreshAfter an entry is served on failure', () => {
    const limited = { ...policy, staleIfErrorMs: MIN };
    expect(freshness(envelope, limited, T0 + 8 * MIN)).toEqual({ state: 'refresh', staleOk: true });
    expect(freshness(envelope, limited, T0 + 8.5 * MIN)).toEqual({ state: 'refresh', staleOk: false });
    expect(freshness(envelope, { ...policy, staleIfErrorMs: 0 }, T0 + 7.5 * MIN)).toEqual({ state: 'refresh', staleOk: false });
  });
  it('a negative entry is fresh, then gone: never served stale', () => {
    const negative = makeEnvelope('v', undefined, policy, T0);
    if (negative === undefined) throw new Error('no envelope');
    expect(freshness(negative, policy, T0 + 44_999)).toEqual({ state: 'fresh' });
    expect(freshness(negative, policy, T0 + 45_000)).toBeUndefined();
  });
  it('a TTL shortened in the config applies to entries written before', () => {
    const shorter = { ...policy, ttlMs: 2 * MIN };
    expect(effectiveTimes(envelope, shorter)).toEqual({ refreshAfter: T0 + MIN, expiresAt: T0 + 2 * MIN });
    expect(freshness(envelope, shorter, T0 + 3 * MIN)).toBeUndefined();
  });
});

describe('parseEnvelope: anything unexpected is no entry', () => {
  const good = JSON.stringify(makeEnvelope('corp', cred, policy, T0));
  it('reads what makeEnvelope wrote', () => expect(parseEnvelope(good)?.credential).toEqual(cred));
  it.each([
    ['torn JSON', good.slice(0, good.length - 3)],
    ['another version', good.replace('"v":1', '"v":2')],
    ['a missing time', good.replace(/"expiresAt":\d+,/, '')],
    ['a credential without a secret', JSON.stringify({ ...JSON.parse(good), credential: { username: 'u' } })],
    ['not an object', '"hello"'],
    ['empty', ''],
  ])('%s', (_, text) => expect(parseEnvelope(text)).toBeUndefined());
});
