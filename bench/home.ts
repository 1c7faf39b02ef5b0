import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A private home for the helper under benchmark: its own XDG dirs (and a config.yaml when given,
 * 0600 in a 0700 dir as the bridge requires), PATH, and nothing else from the caller's environment.
 */
export function benchHome(root: string, name: string, config?: string, extra: Record<string, string> = {}): Record<string, string> {
  const dir = join(root, name);
  mkdirSync(join(dir, 'run'), { recursive: true, mode: 0o700 });
  if (config !== undefined) {
    const configDir = join(dir, 'config', 'docker-credential-bridge');
    mkdirSync(configDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(configDir, 'config.yaml'), config, { mode: 0o600 });
  }
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    ...extra,
  };
}
