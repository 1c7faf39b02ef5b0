import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, configDirs, dataDir } from '../../src/paths.js';

describe.runIf(process.platform !== 'win32')('where the bridge keeps things', () => {
  it('follows XDG variables, then HOME', () => {
    expect(cacheDir({ HOME: '/h', XDG_CACHE_HOME: '/c' })).toBe('/c/docker-credential-bridge');
    expect(cacheDir({ HOME: '/h' })).toBe('/h/.cache/docker-credential-bridge');
    expect(dataDir({ HOME: '/h' })).toBe('/h/.local/share/docker-credential-bridge');
    expect(configDirs({ HOME: '/h' })).toEqual(['/h/.config/docker-credential-bridge', '/etc/docker-credential-bridge']);
  });

  it('without HOME, asks the OS for the home directory (node:os is loaded only then)', () => {
    expect(cacheDir({})).toBe(join(homedir(), '.cache', 'docker-credential-bridge'));
    expect(dataDir({ HOME: '' })).toBe(join(homedir(), '.local', 'share', 'docker-credential-bridge'));
  });
});
