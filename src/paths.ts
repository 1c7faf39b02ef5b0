import { join } from 'node:path';

export const APP_NAME = 'docker-credential-bridge';

export type Env = Readonly<Record<string, string | undefined>>;

/** Explicit config file path; when set, nothing else is searched. */
export const CONFIG_PATH_VAR = 'DOCKER_CREDENTIAL_BRIDGE_CONFIG';
export const DEBUG_VAR = 'DOCKER_CREDENTIAL_BRIDGE_DEBUG';

/** File names tried in each config directory, in order. YAML and JSON only: no code runs. */
export const CONFIG_FILE_NAMES = ['config.yaml', 'config.yml', 'config.json'] as const;

function home(env: Env): string {
  // node:os only when HOME is unset (rare: Docker passes its environment on): loading it costs ~0.2 ms of every start.
  return env.HOME || process.getBuiltinModule('node:os').homedir();
}

/** Directories searched for a config, in order: the user's, then the system's. Never the cwd. */
export function configDirs(env: Env): string[] {
  if (process.platform === 'win32') {
    const dirs = [];
    if (env.APPDATA) dirs.push(join(env.APPDATA, APP_NAME));
    if (env.ProgramData) dirs.push(join(env.ProgramData, APP_NAME));
    return dirs;
  }
  return [join(env.XDG_CONFIG_HOME || join(home(env), '.config'), APP_NAME), join('/etc', APP_NAME)];
}

/** Where the local store keeps its files (age identity and data). */
export function dataDir(env: Env): string {
  if (process.platform === 'win32') return join(env.LOCALAPPDATA || join(home(env), 'AppData', 'Local'), APP_NAME);
  return join(env.XDG_DATA_HOME || join(home(env), '.local', 'share'), APP_NAME);
}

/** Where derived, disposable state lives (the config snapshot). */
export function cacheDir(env: Env): string {
  if (process.platform === 'win32') return join(env.LOCALAPPDATA || join(home(env), 'AppData', 'Local'), APP_NAME, 'cache');
  return join(env.XDG_CACHE_HOME || join(home(env), '.cache'), APP_NAME);
}
