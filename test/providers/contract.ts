import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { normalizeServerUrl, type RegistryKey } from '../../src/server-url.js';
import type { CallContext, Credential, Provider } from '../../providers/types.js';

/**
 * The provider contract: what every provider, present and future, must do. A provider's test
 * file only sets its backend up and calls `testProvider`. Read-only providers pass `seed`, the way
 * their backend gets a credential from outside (an environment variable, the backend's own API).
 */
export interface ContractSubject {
  /** A fresh provider over the backend prepared by the test file's hooks. */
  create(): Promise<Provider> | Provider;
  /** For read-only providers: put a credential in place through the backend itself. */
  seed?(registry: RegistryKey, credential: Credential): Promise<void> | void;
  /** Declared, and checked: no store/erase. */
  readOnly: boolean;
  /** Declared, and checked: implements list. */
  lists: boolean;
}

const call = (): CallContext => ({ signal: AbortSignal.timeout(20_000) });

function registry(base = 'reg'): RegistryKey {
  return normalizeServerUrl(`${base}-${randomBytes(4).toString('hex')}.example.test:5000`);
}

function credential(key: RegistryKey, username: string, secret: string): Credential {
  return { serverURL: key.serverURL, username, secret };
}

export function testProvider(subject: ContractSubject): void {
  const put = async (provider: Provider, key: RegistryKey, cred: Credential): Promise<void> => {
    if (subject.seed) await subject.seed(key, cred);
    else if (provider.store) await provider.store(key, cred, call());
    else throw new Error('a read-only provider under contract test needs seed()');
  };

  it('answers undefined (not found) for a registry it has nothing for', async () => {
    const provider = await subject.create();
    expect(await provider.get(registry('missing'), call())).toBeUndefined();
  });

  it('gives back what was put in, exactly', async () => {
    const provider = await subject.create();
    const key = registry();
    await put(provider, key, credential(key, 'alice', 's3cret pass'));
    expect(await provider.get(key, call())).toMatchObject({ username: 'alice', secret: 's3cret pass' });
  });

  it('keeps a <token> username and its identity token verbatim', async () => {
    const provider = await subject.create();
    const key = registry('token');
    const token = 'eyJhbGciOiJSUzI1NiJ9..refresh-token.with.dots';
    await put(provider, key, credential(key, '<token>', token));
    expect(await provider.get(key, call())).toMatchObject({ username: '<token>', secret: token });
  });

  it('keeps unicode usernames and secrets intact', async () => {
    const provider = await subject.create();
    const key = registry('unicode');
    const secret = 'pässwörd 🔐 秘密 e\u0301 "quotes" \\ <&> \u2028';
    await put(provider, key, credential(key, 'ユーザー', secret));
    expect(await provider.get(key, call())).toMatchObject({ username: 'ユーザー', secret });
  });

  it('keeps a secret larger than 64 KiB', async () => {
    const provider = await subject.create();
    const key = registry('large');
    const secret = randomBytes(50 * 1024).toString('base64'); // ~68 KiB of text
    expect(secret.length).toBeGreaterThan(64 * 1024);
    await put(provider, key, credential(key, 'big', secret));
    const got = await provider.get(key, call());
    expect(got?.secret.length).toBe(secret.length);
    expect(got?.secret === secret).toBe(true);
  });

  it('tells registries apart by port', async () => {
    const provider = await subject.create();
    const a = registry('port');
    const b = normalizeServerUrl(a.key.replace(':5000', ':5001'));
    await put(provider, a, credential(a, 'on-5000', 'x'));
    expect(await provider.get(b, call())).toBeUndefined();
  });

  it(`declares its capabilities truthfully (read-only: ${subject.readOnly}, lists: ${subject.lists})`, async () => {
    const provider = await subject.create();
    expect(provider.store === undefined).toBe(subject.readOnly);
    expect(provider.erase === undefined).toBe(subject.readOnly);
    expect(provider.list !== undefined).toBe(subject.lists);
  });

  if (subject.lists) {
    it('lists what it holds with usernames and never the secrets', async () => {
      const provider = await subject.create();
      const key = registry('list');
      await put(provider, key, credential(key, 'lister', 'not-in-list'));
      const listed = await provider.list?.(call());
      expect(listed?.get(key.key)).toEqual({ serverURL: key.serverURL, username: 'lister' });
      expect(JSON.stringify([...(listed ?? new Map())])).not.toContain('not-in-list');
    });
  }

  if (subject.readOnly) return;

  it('overwrites on a second store', async () => {
    const provider = await subject.create();
    const key = registry('overwrite');
    await provider.store?.(key, credential(key, 'first', 'one'), call());
    await provider.store?.(key, credential(key, 'second', 'two'), call());
    expect(await provider.get(key, call())).toMatchObject({ username: 'second', secret: 'two' });
  });

  it('erases, and erasing again (or something never stored) succeeds', async () => {
    const provider = await subject.create();
    const key = registry('erase');
    await provider.store?.(key, credential(key, 'gone', 'soon'), call());
    await provider.erase?.(key, call());
    expect(await provider.get(key, call())).toBeUndefined();
    await expect(provider.erase?.(key, call())).resolves.toBeUndefined();
    await expect(provider.erase?.(registry('never'), call())).resolves.toBeUndefined();
    if (provider.list) expect((await provider.list(call())).has(key.key)).toBe(false);
  });
}
