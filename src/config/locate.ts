import { type Stats, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { CONFIG_FILE_NAMES, CONFIG_PATH_VAR, configDirs, type Env } from '../paths.js';

/** A config file that exists and passed the trust check. */
export interface LocatedConfig {
  readonly path: string;
  /** Changes whenever the file may have changed: the key of the compiled snapshot. */
  readonly fingerprint: string;
}

function statOrUndefined(path: string): Stats | undefined {
  return statSync(path, { throwIfNoEntry: false });
}

/** Found in this order: $DOCKER_CREDENTIAL_BRIDGE_CONFIG, the user's dir, the system dir. Never the cwd. */
export function locateConfig(env: Env): LocatedConfig | undefined {
  const explicit = env[CONFIG_PATH_VAR];
  if (explicit) {
    const path = resolve(explicit);
    const stats = statOrUndefined(path);
    if (stats === undefined) throw new ConfigError(`config file ${path} (from ${CONFIG_PATH_VAR}) does not exist`);
    return trusted(path, stats);
  }
  for (const dir of configDirs(env)) {
    for (const name of CONFIG_FILE_NAMES) {
      const path = join(dir, name);
      const stats = statOrUndefined(path);
      if (stats !== undefined) return trusted(path, stats);
    }
  }
  return undefined;
}

/**
 * The OpenSSH rule: a config that another user could write could reroute `docker login`
 * passwords, so refuse it (and its directory) unless only its owner — us or root — can write.
 */
function trusted(path: string, stats: Stats): LocatedConfig {
  if (!stats.isFile()) throw new ConfigError(`config ${path} is not a regular file`);
  if (process.platform !== 'win32') {
    checkWritableOnlyByOwner(path, stats, 'config file');
    const dir = dirname(path);
    const dirStats = statSync(dir);
    checkWritableOnlyByOwner(dir, dirStats, 'config directory');
  }
  const fingerprint = [path, stats.dev, stats.ino, stats.size, stats.mtimeMs, stats.ctimeMs].join('|');
  return { path, fingerprint };
}

function checkWritableOnlyByOwner(path: string, stats: Stats, what: string): void {
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid && stats.uid !== 0) {
    throw new ConfigError(
      `${what} ${path} is owned by uid ${stats.uid}, not by you (uid ${uid}) or root; refusing it: run chown ${uid} ${path}`,
    );
  }
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o7777).toString(8).padStart(4, '0');
    throw new ConfigError(
      `${what} ${path} is writable by group or others (mode ${mode}); refusing it: run chmod go-w ${path}`,
    );
  }
}
