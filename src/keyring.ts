import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as Keyring from '@napi-rs/keyring';

export type { Keyring };

let lib: Promise<typeof Keyring> | undefined;

/**
 * @napi-rs/keyring, loaded once per process on first use (runs that never touch a keychain never
 * load the native module). On glibc Linux the platform binding is loaded directly: the package's
 * own loader first reads /usr/bin/ldd, tries a .node file beside itself and checks versions, ~2-4 ms
 * of every keychain or cache hit. Anything unexpected (musl, another arch, a layout change, ESM in
 * tests) takes the loader.
 */
export function loadKeyring(): Promise<typeof Keyring> {
  lib ??= load();
  return lib;
}

async function load(): Promise<typeof Keyring> {
  if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    const binding = `@napi-rs/keyring-linux-${process.arch}-gnu`;
    try {
      const direct = (await import(binding)) as typeof Keyring;
      if (typeof direct.Entry === 'function' && typeof direct.AsyncEntry === 'function') return direct;
    } catch {
      // fall through to the loader
    }
  }
  return import('@napi-rs/keyring');
}

/**
 * Why Secret Service must not be tried here, or undefined. Without DBUS_SESSION_BUS_ADDRESS or
 * $XDG_RUNTIME_DIR/bus, libdbus would try to autolaunch a bus (it needs X11 and hangs or fails
 * slowly on servers). Used by every keychain user: the local store, the cache, Vault login tokens.
 */
export function sessionBusMissing(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.DBUS_SESSION_BUS_ADDRESS) return undefined;
  if (env.XDG_RUNTIME_DIR && existsSync(join(env.XDG_RUNTIME_DIR, 'bus'))) return undefined;
  return 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)';
}

/** Why the OS keychain cannot be used here, found without touching it; undefined if it may work. */
export function keychainUnavailableReason(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return process.platform === 'linux' ? sessionBusMissing(env) : undefined;
}
