import { describe, expect, it } from 'vitest';
import { CACHE_KINDS, PROVIDER_MODULES } from '../../providers/registry.js';
import { BUILTIN_CONFIG } from '../../src/config/types.js';
import { compileConfig } from '../../src/config/compile.js';

const compile = (input: unknown) => compileConfig('/cfg.yaml', input);
const vault = { type: 'vault', address: 'https://vault.example:8200' };

describe('cache settings compile to one policy per route: route > provider > global > defaults', () => {
  it('defaults: 15m, stale until expiry, not-found kept 45s, store auto', () => {
    const config = compile({ providers: { v: vault }, routes: [{ match: 'a.io', provider: 'v' }] });
    expect(config.routes[0]?.cache).toEqual({ ttlMs: 900_000, negativeTtlMs: 45_000, staleIfErrorMs: undefined });
    expect(config.cacheStore).toBe('auto');
  });
  it('each level overrides the one above it', () => {
    const config = compile({
      providers: { v: { ...vault, cache: { ttl: '10m' } } },
      cache: { ttl: '1h', negativeTtl: '30s', staleIfError: '5m', store: 'keyutils' },
      routes: [
        { match: 'a.io', provider: 'v' },
        { match: 'b.io', provider: 'v', cache: { ttl: '2m', staleIfError: false, negativeTtl: 0 } },
      ],
      default: { provider: 'v', cache: { negativeTtl: 1500 } },
    });
    // The provider's ttl beats the global one; a route's own beats both.
    expect(config.routes[0]?.cache).toEqual({ ttlMs: 600_000, negativeTtlMs: 30_000, staleIfErrorMs: 300_000 });
    expect(config.routes[1]?.cache).toEqual({ ttlMs: 120_000, negativeTtlMs: 0, staleIfErrorMs: 0 });
    expect(config.defaultRoute?.cache).toEqual({ ttlMs: 600_000, negativeTtlMs: 1500, staleIfErrorMs: 300_000 });
    expect(config.cacheStore).toBe('keyutils');
  });
  it('the global ttl applies where neither the route nor the provider sets one; the provider never sees `cache`', () => {
    const config = compile({
      providers: { v: { ...vault, cache: { ttl: '10m' } }, w: vault },
      cache: { ttl: '1h' },
      routes: [
        { match: 'a.io', provider: 'w' },
        { match: 'b.io', provider: 'v' },
      ],
    });
    expect(config.routes.map((r) => r.cache?.ttlMs)).toEqual([3_600_000, 600_000]);
    expect(config.providers.v?.options).toMatchObject({ address: 'https://vault.example:8200' });
    expect(config.providers.v?.options).not.toHaveProperty('cache');
  });
  it('not cached: an env provider, cache: false on a route, or store: off', () => {
    const base = { providers: { v: vault, l: { type: 'local' }, e: { type: 'env' } } };
    const routes = [
      { match: 'l.io', provider: 'l' },
      { match: 'e.io', provider: 'e' },
      { match: 'off.io', provider: 'v', cache: false },
      { match: 'on.io', provider: 'v' },
      { match: 'loff.io', provider: 'l', cache: false },
    ];
    expect(compile({ ...base, routes }).routes.map((r) => r.cache === undefined)).toEqual([false, true, true, false, true]);
    expect(compile({ ...base, routes, cache: { store: 'off' } }).routes.every((r) => r.cache === undefined)).toBe(true);
  });
  it('a local provider is cached in keyutils only, with the usual times; store: secret-service leaves it uncached', () => {
    const base = { providers: { v: vault, l: { type: 'local' } }, routes: [{ match: 'l.io', provider: 'l' }, { match: 'v.io', provider: 'v' }] };
    const [local, remote] = compile({ ...base, cache: { ttl: '2m' } }).routes;
    expect(local?.cache).toEqual({ ttlMs: 120_000, negativeTtlMs: 45_000, staleIfErrorMs: undefined, store: 'keyutils' });
    expect(remote?.cache?.store).toBeUndefined();
    expect(compile({ ...base, cache: { store: 'keyutils' } }).routes[0]?.cache?.store).toBe('keyutils');
    expect(compile({ ...base, cache: { store: 'secret-service' } }).routes.map((r) => r.cache === undefined)).toEqual([true, false]);
  });
  it('with no config at all, the built-in default route (the local store) is cached in keyutils with the default times', () => {
    expect(BUILTIN_CONFIG.defaultRoute?.cache).toEqual({ ttlMs: 900_000, negativeTtlMs: 45_000, staleIfErrorMs: undefined, store: 'keyutils' });
  });
  it('rejects bad values with the exact path', () => {
    expect(() => compile({ providers: { v: vault }, cache: { store: 'disk' } })).toThrow(
      'config /cfg.yaml: cache.store: expected ("auto" | "keyutils" | "secret-service" | "off"), got "disk"',
    );
    expect(() => compile({ providers: { v: vault }, cache: { ttl: 0 } })).toThrow(/^config \/cfg\.yaml: cache\.ttl: /);
    expect(() => compile({ providers: { v: { ...vault, cache: { negativeTtl: '1m' } } } })).toThrow(
      'config /cfg.yaml: providers.v.cache.negativeTtl: unknown key "negativeTtl"',
    );
    expect(() => compile({ providers: { v: vault }, routes: [{ match: 'a.io', provider: 'v', cache: true }] })).toThrow(
      /^config \/cfg\.yaml: routes\[0\]\.cache: /,
    );
  });
});

describe('entry identity', () => {
  const id = (options: Record<string, unknown>) => compile({ providers: { corp: { type: 'vault', ...options } } }).providers.corp?.cacheId;
  it('is the provider name plus a hash of its type and options, independent of key order', () => {
    expect(id({ address: 'https://a:8200', mount: 'kv' })).toMatch(/^corp-[0-9a-f]{12}$/);
    expect(id({ address: 'https://a:8200', mount: 'kv' })).toBe(id({ mount: 'kv', address: 'https://a:8200' }));
  });
  it('changes when the provider’s config changes, so old entries are never served for the new backend', () => {
    expect(id({ address: 'https://a:8200' })).not.toBe(id({ address: 'https://b:8200' }));
  });
  it('does not change with the cache settings', () => {
    expect(id({ address: 'https://a:8200', cache: { ttl: '1m' } })).toBe(id({ address: 'https://a:8200' }));
  });
});

describe('CACHE_KINDS mirrors what each provider module says', () => {
  it.each(Object.keys(PROVIDER_MODULES))('%s', async (type) => {
    const module = await PROVIDER_MODULES[type]?.();
    expect(module?.CACHE, `${type}: CACHE export vs providers/registry.ts CACHE_KINDS`).toBe(CACHE_KINDS[type]);
  });
});
