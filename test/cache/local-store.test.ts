import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { credentialLine, type Keyring, keyctlBlockMissing, keyctlMissing, runBridge } from './support.js';

const NOT_FOUND = 'credentials not found in native keychain\n';
let home: BridgeHome;
beforeEach(() => {
  home = new BridgeHome();
});
afterEach(() => home.remove());

const bridge = (args: string[], stdin = '', keyring: Keyring = 'none', env: Record<string, string> = {}) =>
  runBridge(home, keyring, args, stdin, env);
const store = (serverURL: string, username: string, secret: string, keyring: Keyring = 'none') =>
  bridge(['store'], JSON.stringify({ ServerURL: serverURL, Username: username, Secret: secret }), keyring);
/** The local store's data file (no D-Bus here, so `auto` keeps credentials there). */
const dataFile = () => join(home.dataDir, 'credentials.age');

/**
 * The default store (no config: the local provider) behind a copy in the kernel keyring: the
 * first get reads the store (a D-Bus session with a key exchange, or an age decryption) and
 * keeps a copy; later gets are one syscall. store and erase keep the copy true.
 */
describeIntegration('the default store, read through the kernel keyring', keyctlMissing(), () => {
  it('a get after the first is served from the copy: it answers even with the store’s file gone', async () => {
    expect((await store('copy.example', 'cu', 'copy-secret')).code).toBe(0);
    expect(await bridge(['get'], 'copy.example')).toMatchObject({
      code: 0,
      stdout: credentialLine('copy.example', 'cu', 'copy-secret'),
      stderr: '',
    });
    expect((await bridge(['cache', 'list'])).stdout).toMatch(/^copy\.example\s+local\s+credential\s+keyutils\s/m);
    rmSync(dataFile());
    expect(await bridge(['get'], 'copy.example')).toMatchObject({ code: 0, stdout: credentialLine('copy.example', 'cu', 'copy-secret') });
    // without the copy, the store answers: it no longer has it
    expect((await bridge(['cache', 'clear'])).code).toBe(0);
    expect((await bridge(['get'], 'copy.example')).stdout).toBe(NOT_FOUND);
  });

  it('store replaces the copy and erase removes it', async () => {
    await store('change.example', 'u1', 'first');
    expect((await bridge(['get'], 'change.example')).stdout).toBe(credentialLine('change.example', 'u1', 'first'));
    await store('change.example', 'u2', 'second');
    expect((await bridge(['get'], 'change.example')).stdout).toBe(credentialLine('change.example', 'u2', 'second'));
    expect((await bridge(['erase'], 'change.example')).code).toBe(0);
    expect(await bridge(['get'], 'change.example')).toMatchObject({ code: 1, stdout: NOT_FOUND });
    expect((await bridge(['list'])).stdout).toBe('{}\n');
  });

  it('a remembered not-found is replaced by the next store', async () => {
    expect((await bridge(['get'], 'later.example')).stdout).toBe(NOT_FOUND);
    expect((await bridge(['cache', 'list'])).stdout).toMatch(/^later\.example\s+local\s+not-found\s+keyutils\s/m);
    await store('later.example', 'lu', 'later-secret');
    expect((await bridge(['get'], 'later.example')).stdout).toBe(credentialLine('later.example', 'lu', 'later-secret'));
  });

  it('the copy lives only as long as the ttl: then the store is read again', async () => {
    home.writeConfig('providers: {mine: {type: local}}\ndefault: {provider: mine, cache: {ttl: 1s}}\n');
    await store('short.example', 'su', 'short-secret');
    expect((await bridge(['get'], 'short.example')).stdout).toBe(credentialLine('short.example', 'su', 'short-secret'));
    rmSync(dataFile());
    expect((await bridge(['get'], 'short.example')).stdout).toBe(credentialLine('short.example', 'su', 'short-secret'));
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await bridge(['get'], 'short.example')).stdout).toBe(NOT_FOUND);
  });

  it('explain shows the copy, its store and its times', async () => {
    await store('shown.example', 'eu', 'explain-secret');
    await bridge(['get'], 'shown.example');
    const explained = await bridge(['explain', 'shown.example']);
    expect(explained.stdout).toMatch(/^provider:\s+local \(type local\)$/m);
    expect(explained.stdout).toMatch(/^cache:\s+keyutils \(Linux kernel keyring\)/m);
    expect(explained.stdout).toMatch(/^cache entry:\s+credential in keyutils, fetched \d+s ago; fresh: /m);
    expect(explained.stdout + explained.stderr).not.toContain('explain-secret');
  });

  it('cache.store: secret-service leaves the local store uncached (it is kept in keyutils only)', async () => {
    home.writeConfig('cache: {store: secret-service}\nproviders: {mine: {type: local}}\ndefault: {provider: mine}\n');
    await store('direct.example', 'du', 'direct-secret');
    expect((await bridge(['get'], 'direct.example')).stdout).toBe(credentialLine('direct.example', 'du', 'direct-secret'));
    expect((await bridge(['explain', 'direct.example'])).stdout).toMatch(
      /^cache:\s+none: provider "mine" \(type local\) is cached in keyutils only, and cache.store is secret-service$/m,
    );
    expect(existsSync(join(home.cacheDir, 'entries'))).toBe(false);
  });
});

describeIntegration('the default store where keyctl is refused (a container’s seccomp profile)', keyctlBlockMissing(), () => {
  it('store, get and erase work straight on the store, quietly, without the cache writer', async () => {
    expect(await store('blocked.example', 'bu', 'blocked-secret', 'blocked')).toMatchObject({ code: 0, stderr: '' });
    expect(await bridge(['get'], 'blocked.example', 'blocked')).toMatchObject({
      code: 0,
      stdout: credentialLine('blocked.example', 'bu', 'blocked-secret'),
      stderr: '',
    });
    const debug = await bridge(['get'], 'blocked.example', 'blocked', { DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' });
    expect(debug.stderr).toMatch(/debug get\.uncached key=blocked\.example reason=.*PermissionDenied/);
    expect((await bridge(['erase'], 'blocked.example', 'blocked')).code).toBe(0);
    expect((await bridge(['get'], 'blocked.example', 'blocked')).stdout).toBe(NOT_FOUND);
    expect(existsSync(join(home.cacheDir, 'entries'))).toBe(false);
  });
});
