import { describe, expect, it } from 'vitest';
import { cacheIdOf } from '../../src/cache/identity.js';

describe('cache entry identity', () => {
  const vault = { type: 'vault', options: {}, cacheId: 'corp-0123456789ab' };
  it('includes the server and namespace a vault provider takes from the environment', () => {
    const a = cacheIdOf('corp', vault, { VAULT_ADDR: 'http://127.0.0.1:8200' });
    expect(a).toMatch(/^corp-0123456789ab-[0-9a-f]{8}$/);
    expect(cacheIdOf('corp', vault, { VAULT_ADDR: 'http://127.0.0.1:8200' })).toBe(a);
    expect(cacheIdOf('corp', vault, { VAULT_ADDR: 'http://127.0.0.1:8201' })).not.toBe(a);
    expect(cacheIdOf('corp', vault, { VAULT_ADDR: 'http://127.0.0.1:8200', VAULT_NAMESPACE: 'team' })).not.toBe(a);
  });
  it('is the compiled id alone for providers that read no such variables', () => {
    expect(cacheIdOf('e', { type: 'env', options: {}, cacheId: 'e-abc' }, { VAULT_ADDR: 'x', HOME: '/h' })).toBe('e-abc');
  });
  it('for the local store, includes where the store is: HOME, XDG_DATA_HOME, the session bus', () => {
    const local = { type: 'local', options: {}, cacheId: 'local-builtin' };
    const a = cacheIdOf('local', local, { HOME: '/home/a' });
    expect(a).toMatch(/^local-builtin-[0-9a-f]{8}$/);
    expect(cacheIdOf('local', local, { HOME: '/home/b' })).not.toBe(a);
    expect(cacheIdOf('local', local, { HOME: '/home/a', XDG_DATA_HOME: '/data' })).not.toBe(a);
    expect(cacheIdOf('local', local, { HOME: '/home/a', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1/bus' })).not.toBe(a);
    expect(cacheIdOf('local', local, { HOME: '/home/a', VAULT_ADDR: 'x' })).toBe(a);
  });
});
