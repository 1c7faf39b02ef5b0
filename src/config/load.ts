import { cacheDir, type Env } from '../paths.js';
import { locateConfig } from './locate.js';
import { readSnapshot } from './snapshot.js';
import { BUILTIN_CONFIG, type BridgeConfig } from './types.js';

export interface LoadedConfig {
  readonly config: BridgeConfig;
  /** builtin: no file; snapshot: the cached compiled form; compiled: parsed just now. */
  readonly origin: 'builtin' | 'snapshot' | 'compiled';
}

/**
 * The hot path: a few stats and, when the file is unchanged, one small JSON read. Only a new or
 * changed config loads the compiler (cosmiconfig, YAML, schema), which refreshes the snapshot.
 */
export async function loadConfig(env: Env): Promise<LoadedConfig> {
  const located = locateConfig(env);
  if (located === undefined) return { config: BUILTIN_CONFIG, origin: 'builtin' };
  const dir = cacheDir(env);
  const cached = readSnapshot(dir, located.fingerprint);
  if (cached !== undefined) return { config: cached, origin: 'snapshot' };
  const { compileAndSnapshot } = await import('./compile.js');
  return { config: await compileAndSnapshot(located, dir), origin: 'compiled' };
}
