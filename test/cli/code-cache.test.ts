import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeHome } from '../support/bridge.js';

/**
 * The launcher (src/launcher.ts) compiles the helper's files with V8 code caches kept in
 * $XDG_CACHE_HOME/docker-credential-bridge/code-cache. A cache is rewritten (renamed into place,
 * so a new inode) only when it was missing or V8 rejected it: an unchanged inode after a run means
 * the run used it. A cache anybody else could have written is code we must not run.
 */
let home: BridgeHome;
beforeEach(() => {
  home = new BridgeHome();
});
afterEach(() => home.remove());

const NOT_FOUND = 'credentials not found in native keychain\n';

function codeCacheDir(): string {
  return join(home.cacheDir, 'code-cache');
}

function mainCache(): string {
  return join(codeCacheDir(), 'bridge-main.bin');
}

async function getUnrouted(): Promise<void> {
  const result = await home.run(['get'], 'unrouted.example');
  expect(result.stdout).toBe(NOT_FOUND);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(1);
}

describe('V8 code cache of the helper bundle', () => {
  beforeEach(() => {
    home.writeConfig('providers: {local: {type: local}}\nroutes: [{match: ghcr.io, provider: local}]\n');
  });

  it('is written by the first run, private to the user, and used as it is by the next', async () => {
    await getUnrouted();
    const first = statSync(mainCache());
    expect(first.mode & 0o777).toBe(0o600);
    expect(statSync(codeCacheDir()).mode & 0o777).toBe(0o700);
    // key (bundle identity, V8 version, arch), NUL, then V8's data
    const content = readFileSync(mainCache());
    expect(content.toString('latin1', 0, content.indexOf(0))).toContain(process.versions.v8);
    expect(content.length - content.indexOf(0)).toBeGreaterThan(1000);

    await getUnrouted();
    await getUnrouted();
    expect(statSync(mainCache()).ino).toBe(first.ino);
    expect(readdirSync(codeCacheDir()).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a lazy module gets its own cache when a run loads it', async () => {
    await home.run(['get'], 'ghcr.io');
    expect(existsSync(join(codeCacheDir(), 'bridge-provider-local.bin'))).toBe(true);
  });

  it('data V8 rejects is replaced, and the run answers correctly', async () => {
    await getUnrouted();
    const content = readFileSync(mainCache());
    const keyEnd = content.indexOf(0) + 1;
    const garbage = Buffer.concat([content.subarray(0, keyEnd), Buffer.alloc(content.length - keyEnd, 0x5a)]);
    writeFileSync(mainCache(), garbage, { mode: 0o600 });
    const before = statSync(mainCache()).ino;
    await getUnrouted();
    expect(statSync(mainCache()).ino).not.toBe(before);
    expect(readFileSync(mainCache()).equals(garbage)).toBe(false);
  });

  it('a cache made for another bundle file is not used', async () => {
    await getUnrouted();
    const content = readFileSync(mainCache());
    const keyEnd = content.indexOf(0);
    writeFileSync(mainCache(), Buffer.concat([Buffer.from('0.0.0:1:2:3:other', 'latin1'), content.subarray(keyEnd)]), { mode: 0o600 });
    const before = statSync(mainCache()).ino;
    await getUnrouted();
    expect(statSync(mainCache()).ino).not.toBe(before);
    expect(readFileSync(mainCache()).equals(content)).toBe(false);
  });

  it('a cache others could have written is never run: replaced by the user’s own', async () => {
    await getUnrouted();
    chmodSync(mainCache(), 0o666);
    const before = statSync(mainCache()).ino;
    await getUnrouted();
    const after = statSync(mainCache());
    expect(after.ino).not.toBe(before);
    expect(after.mode & 0o777).toBe(0o600);
  });

  it.runIf(process.getuid?.() === 0)('a cache owned by another user is never run', async () => {
    await getUnrouted();
    chownSync(mainCache(), 65534, 65534);
    const before = statSync(mainCache()).ino;
    await getUnrouted();
    const after = statSync(mainCache());
    expect(after.ino).not.toBe(before);
    expect(after.uid).toBe(0);
  });

  it('a cache dir the helper cannot write costs only the speed-up', async () => {
    // a file where the directory should be: unwritable even for root
    mkdirSync(home.cacheDir, { recursive: true, mode: 0o700 });
    writeFileSync(codeCacheDir(), 'not a directory', { mode: 0o600 });
    await getUnrouted();
    await getUnrouted();
    expect(readFileSync(codeCacheDir(), 'utf8')).toBe('not a directory');
    expect(readdirSync(home.cacheDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
