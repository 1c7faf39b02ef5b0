import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROVIDER_OPTION_SCHEMAS } from '../../src/config/schema.js';
import { PROVIDER_MODULES, PROVIDER_TYPES } from '../../providers/registry.js';

// One provider = one folder with index.ts + options.ts, one line in the registry, one schema,
// one lazy entry in the build. This keeps the four in step.
const folders = readdirSync('providers').filter((name) => statSync(join('providers', name)).isDirectory());

describe('provider registry', () => {
  it('lists exactly the provider folders', () => {
    expect([...PROVIDER_TYPES].sort()).toEqual([...folders].sort());
  });

  it('has an options schema for every type, and no other', () => {
    expect(Object.keys(PROVIDER_OPTION_SCHEMAS).sort()).toEqual([...PROVIDER_TYPES].sort());
  });

  it.each(folders)('%s: its module names itself and exports create', async (type) => {
    const load = PROVIDER_MODULES[type];
    expect(load).toBeDefined();
    const module = await load?.();
    expect(module?.TYPE).toBe(type);
    expect(typeof module?.create).toBe('function');
  });

  it.each(folders)('%s: is a lazy module of its own in the build', (type) => {
    expect(readFileSync('scripts/build.mjs', 'utf8')).toContain(`'providers/${type}/index.ts'`);
  });
});
