import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BRIDGE_BIN, BridgeHome } from '../support/bridge.js';
import { run } from '../support/processes.js';
import { describeIntegration } from '../support/integration.js';
import { keyctlMissing } from '../cache/support.js';

const home = new BridgeHome();
afterAll(() => home.remove());
const TRACER = resolve('test/support/module-tracer.cjs');
/** The keyring library's platform binding, which src/keyring.ts loads directly (linux x64 glibc here). */
const KEYRING_BINDING = `node_modules/@napi-rs/keyring-linux-${process.arch}-gnu/keyring.linux-${process.arch}-gnu.node`;

/** Runs the built helper and returns the non-builtin modules it loaded (relative names). */
async function modulesLoaded(args: string[], stdin: string, env: Record<string, string> = {}): Promise<string[]> {
  const trace = join(home.dir, `trace-${Math.random().toString(36).slice(2)}`);
  const result = await run([process.execPath, '-r', TRACER, BRIDGE_BIN, ...args], {
    stdin,
    env: home.env({ ...env, BRIDGE_TRACE_MODULES: trace }),
  });
  expect(result.stderr).toBe('');
  return projectModules(trace);
}

function projectModules(trace: string): string[] {
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((m) => m !== '' && !isBuiltin(m))
    .map((m) => m.replace(`${resolve('.')}/`, ''));
}

describe('each path loads only the code it runs', () => {
  it('an unrouted registry loads the main bundle and nothing else (no provider, no config compiler)', async () => {
    home.writeConfig('providers: {local: {type: local}}\nroutes: [{match: ghcr.io, provider: local}]\n');
    await modulesLoaded(['get'], 'warm.example'); // first run compiles the config snapshot
    expect(await modulesLoaded(['get'], 'quay.io')).toEqual(['dist/docker-credential-bridge.cjs']);
  });

  it('a changed config loads the compiler once', async () => {
    home.writeConfig('providers: {local: {type: local}}\nroutes: [{match: ghcr.io, provider: local}]\n# changed\n');
    expect(await modulesLoaded(['get'], 'quay.io')).toEqual(['dist/docker-credential-bridge.cjs', 'dist/bridge-config-compile.cjs']);
  });

  it('the main bundle holds no provider, schema, YAML or crypto code', () => {
    const bundle = readFileSync(BRIDGE_BIN, 'utf8');
    for (const marker of [
      'age-encryption.org',
      'cosmiconfig',
      'js-yaml',
      'valibot',
      'picomatch',
      'proper-lockfile',
      'AgeFileStore',
      'KeychainStore',
    ]) {
      expect(bundle, marker).not.toContain(marker);
    }
  });
});

/** The default store's reads go through the kernel keyring (src/cache/): where keyutils works. */
describeIntegration('the default store behind the kernel keyring loads only the code it runs', keyctlMissing(), () => {
  it('a default-store miss without a keychain loads the local provider and the cache writer, but not age (no file yet)', async () => {
    const other = new BridgeHome();
    try {
      const trace = join(other.dir, 'trace');
      const result = await run([process.execPath, '-r', TRACER, BRIDGE_BIN, 'get'], {
        stdin: 'ghcr.io',
        env: other.env({ BRIDGE_TRACE_MODULES: trace }),
      });
      expect(result.stdout).toBe('credentials not found in native keychain\n');
      expect(projectModules(trace)).toEqual([
        'dist/docker-credential-bridge.cjs',
        KEYRING_BINDING,
        'dist/bridge-cache-fill.cjs',
        'dist/bridge-provider-local.cjs',
      ]);
    } finally {
      other.remove();
    }
  });

  it('a default-store hit is served from the kernel keyring: no provider, no age, no cache writer', async () => {
    const other = new BridgeHome();
    try {
      const stored = await run([process.execPath, BRIDGE_BIN, 'store'], {
        stdin: JSON.stringify({ ServerURL: 'hit.example', Username: 'u', Secret: 's' }),
        env: other.env(),
      });
      expect(stored.code).toBe(0);
      const trace = join(other.dir, 'trace');
      const result = await run([process.execPath, '-r', TRACER, BRIDGE_BIN, 'get'], {
        stdin: 'hit.example',
        env: other.env({ BRIDGE_TRACE_MODULES: trace }),
      });
      expect(result.stdout).toBe('{"ServerURL":"hit.example","Username":"u","Secret":"s"}\n');
      expect(projectModules(trace)).toEqual(['dist/docker-credential-bridge.cjs', KEYRING_BINDING]);
    } finally {
      other.remove();
    }
  });
});
