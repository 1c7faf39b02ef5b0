import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RECORDS_DIR, type EntryRecord } from '../../src/cache/records.js';
import { CACHE_SERVICE } from '../../src/cache/stores.js';
import { type EnvOverrides, type RunResult, run } from './processes.js';
import type { HelperUnderTest } from './run-helper.js';

/** The built helper (`npm test` builds it first, in `pretest`). */
export const BRIDGE_BIN = resolve('dist/docker-credential-bridge.cjs');

/** The bridge as clients run it, with the Node that runs the tests (so CI's Node 22 pass uses 22). */
export const BRIDGE_COMMAND = [process.execPath, BRIDGE_BIN];

/**
 * A private home for one bridge under test: its own XDG dirs, no D-Bus session (so the local store
 * uses its file unless a test provides a keyring), and none of the caller's bridge variables.
 */
export class BridgeHome {
  readonly dir = mkdtempSync(join(tmpdir(), 'bridge-home-'));
  readonly configDir = join(this.dir, 'config', 'docker-credential-bridge');
  readonly dataDir = join(this.dir, 'data', 'docker-credential-bridge');
  readonly cacheDir = join(this.dir, 'cache', 'docker-credential-bridge');

  env(extra: EnvOverrides = {}): EnvOverrides {
    const cleared: EnvOverrides = {};
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('DOCKER_CREDENTIAL_BRIDGE_') || name.startsWith('DBUS_') || name === 'DOCKER_AUTH_CONFIG')
        cleared[name] = undefined;
    }
    return {
      ...cleared,
      HOME: this.dir,
      XDG_CONFIG_HOME: join(this.dir, 'config'),
      XDG_DATA_HOME: join(this.dir, 'data'),
      XDG_CACHE_HOME: join(this.dir, 'cache'),
      XDG_RUNTIME_DIR: join(this.dir, 'runtime'),
      ...extra,
    };
  }

  /** Writes config.yaml (0600 in a 0700 dir) and returns its path. */
  writeConfig(yaml: string, name = 'config.yaml'): string {
    mkdirSync(this.configDir, { recursive: true, mode: 0o700 });
    const path = join(this.configDir, name);
    writeFileSync(path, yaml, { mode: 0o600 });
    return path;
  }

  run(args: string[], stdin?: string | Buffer, extraEnv: EnvOverrides = {}, cwd?: string): Promise<RunResult> {
    return run([...BRIDGE_COMMAND, ...args], { stdin: stdin ?? '', env: this.env(extraEnv), timeoutMs: 30_000, cwd });
  }

  helper(extraEnv: () => EnvOverrides = () => ({})): HelperUnderTest {
    return { name: 'bridge', command: BRIDGE_COMMAND, env: () => this.env(extraEnv()), bridge: true };
  }

  /** Also drops this home's kernel-keyring cache entries: they outlive the directory (the persistent keyring keeps them for days). */
  remove(): void {
    purgeKernelEntries(this.cacheDir);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Deletes the keyutils cache entries the index under `cacheDir` lists (their accounts name this
 * home's store, so nobody else's entries are touched). Twice each, as src/cache/stores.ts does: a
 * process without a session keyring misses on its first call.
 */
function purgeKernelEntries(cacheDir: string): void {
  const dir = join(cacheDir, RECORDS_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  let Entry: typeof import('@napi-rs/keyring').Entry;
  try {
    ({ Entry } = createRequire(import.meta.url)('@napi-rs/keyring') as typeof import('@napi-rs/keyring'));
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as EntryRecord;
      if (record.entry?.store !== 'keyutils') continue;
      const remove = (): boolean => {
        try {
          return new Entry(CACHE_SERVICE, record.account, { linux: { store: 'keyutils' } }).deleteCredential();
        } catch {
          return false;
        }
      };
      if (!remove()) remove();
    } catch {
      // a torn record or a refused syscall: the kernel expires it in a few days
    }
  }
}

/** stdout as clients judge it: one line, the exact message. */
export function expectOneLine(result: RunResult): string {
  const lines = result.stdout.split('\n');
  if (lines.length !== 2 || lines[1] !== '') throw new Error(`expected exactly one line on stdout, got ${JSON.stringify(result.stdout)}`);
  return lines[0] ?? '';
}
