import { forgetDownStores } from '../cache/entry-writer.js';
import { probeStore } from '../cache/probe.js';
import { listRecords } from '../cache/records.js';
import { describeCacheState } from '../cache/status.js';
import { planStores, storeLabel } from '../cache/stores.js';
import { loadConfig } from '../config/load.js';
import type { BridgeConfig } from '../config/types.js';
import { isBridgeError, UsageError } from '../errors.js';
import { cacheDir, type Env } from '../paths.js';
import { VERSION } from '../version.js';

/**
 * `doctor`: checks what the helper depends on here and says what it means — the config, and each
 * cache store, tried with a throw-away entry (Secret Service is asked whether it is locked first,
 * so no unlock prompt appears). Exit 1 only when `get` cannot work (a config that does not load);
 * an unusable cache is a warning: the helper then runs uncached, and never writes secrets to disk.
 */
export async function run(args: string[], env: Env): Promise<number> {
  if (args.length > 0) throw new UsageError('doctor takes no arguments', { exitCode: 2 });
  const lines: string[] = [];
  const add = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(16)}${value}`);
  let failed = false;

  add('bridge', `${VERSION} on Node ${process.version} (${process.platform})`);
  let config: BridgeConfig | undefined;
  try {
    const loaded = await loadConfig(env);
    config = loaded.config;
    add('config', config.source === undefined ? 'none found: built-in default (local store only, nothing cached)' : `${config.source}: ok`);
  } catch (error) {
    failed = true;
    add('config', `ERROR ${isBridgeError(error) ? error.message : 'cannot be loaded'}`);
  }

  const dir = cacheDir(env);
  const setting = config?.cacheStore ?? 'auto';
  const plan = planStores(setting, env);
  add('cache.store', setting);
  const statuses = [];
  for (const store of plan.stores) {
    const status = await probeStore(store, env, dir);
    statuses.push(status);
    lines.push(`  ${storeLabel(store).padEnd(36)}${status.usable ? 'ok' : 'unusable'}: ${status.detail}`);
  }
  for (const skipped of plan.skipped) lines.push(`  ${skipped}`);
  const usable = statuses.find((s) => s.usable);
  add(
    'cache',
    usable === undefined
      ? `WARNING ${describeCacheState({ store: undefined, statuses, skipped: plan.skipped })}`
      : `new entries go to ${storeLabel(usable.store)}`,
  );
  // A store that works now must not stay skipped because it failed a while ago.
  if (usable !== undefined) forgetDownStores(dir);
  const records = listRecords(dir).filter((r) => r.entry !== undefined);
  const now = Date.now();
  const live = records.filter((r) => (r.entry?.expiresAt ?? 0) > now).length;
  add('cache entries', `${records.length} indexed (${live} unexpired) in ${dir}`);

  process.stdout.write(`${lines.join('\n')}\n`);
  return failed ? 1 : 0;
}
