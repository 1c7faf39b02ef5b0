import { describe } from 'vitest';
import { conventionVarNames } from '../../src/env-lookup.js';
import { create } from '../../providers/env/index.js';
import { quietLogger } from '../support/loggers.js';
import { testProvider } from './contract.js';

describe('env provider (naming convention)', () => {
  const env: Record<string, string | undefined> = {};
  testProvider({
    readOnly: true,
    lists: true,
    create: () => create({}, { name: 'env', env, log: quietLogger(), dataDir: '/nonexistent', cacheDir: '/nonexistent' }),
    seed: (registry, credential) => {
      const names = conventionVarNames(registry);
      env[names.username] = credential.username;
      env[names.password] = credential.secret;
    },
  });
});
