import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileConfig, readConfigFile } from '../../src/config/compile.js';
import { renderConfigJsonSchema } from '../../src/config/json-schema.js';
import { matchRoute } from '../../src/routes.js';
import { normalizeServerUrl } from '../../src/server-url.js';

const dir = mkdtempSync(join(tmpdir(), 'bridge-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

const compile = (input: unknown) => compileConfig('/cfg.yaml', input);
const base = { providers: { local: { type: 'local' } } };

describe('config validation: every error names the exact path and the value', () => {
  it.each([
    [{ ...base, routes: [{ match: 'a.io', provider: 'nope' }] }, 'config /cfg.yaml: routes[0].provider: provider "nope" is not defined under providers (defined: local)'],
    [{ providers: { v: { type: 'vaultt' } } }, 'config /cfg.yaml: providers.v.type: unknown provider type "vaultt" (valid: env, local, vault)'],
    [{ ...base, routes: [{ match: 'a.io', provider: 'local', onError: 'explode' }] }, 'config /cfg.yaml: routes[0].onError: expected ("fail" | "not-found"), got "explode"'],
    [{ ...base, routes: [{ match: 'a.io', provider: 'local', colour: 'red' }] }, 'config /cfg.yaml: routes[0].colour: unknown key "colour"'],
    [{ ...base, routes: [{ match: 'https://a.io/', provider: 'local' }] }, 'config /cfg.yaml: routes[0].match: "https://a.io/": a host glob has no scheme or path'],
    [{ ...base, routes: [{ match: ['a.io', 'b c'], provider: 'local' }] }, 'config /cfg.yaml: routes[0].match[1]: "b c": a host glob may hold'],
    [{ ...base, routes: [{ match: 'a.io', provider: 'local', timeout: '5 minutes' }] }, 'config /cfg.yaml: routes[0].timeout: '],
    [{ ...base, default: { provider: 'local', env: { username: 'U', password: 'hunter2 secret!' } } }, 'config /cfg.yaml: default.env.password: must be an environment variable name (got (value hidden))'],
    [{ routes: [] }, 'config /cfg.yaml: providers: '],
    [{ providers: { local: { type: 'local', store: 'cloud' } } }, 'config /cfg.yaml: providers.local.store: expected ("auto" | "keychain" | "file"), got "cloud"'],
  ])('%j', (input, message) => {
    expect(() => compile(input)).toThrow(message);
  });

  it('never shows a value that sits under a secret-looking key', () => {
    expect(() => compile({ ...base, routes: [{ match: 'a.io', provider: 'local', env: { username: 'U', password: 'ghp-0123456789abcdef' } }] })).toThrow(
      /routes\[0\]\.env\.password: .*\(value hidden\)/,
    );
    try {
      compile({ ...base, routes: [{ match: 'a.io', provider: 'local', env: { username: 'U', password: 'ghp-0123456789abcdef' } }] });
    } catch (error) {
      expect((error as Error).message).not.toContain('ghp-0123456789abcdef');
    }
  });
});

describe('config parsing', () => {
  it('reports a YAML syntax error by line and column, without quoting the file', async () => {
    const path = file('broken.yaml', 'providers:\n  local: {type: local\n  password: hunter2\n');
    await expect(readConfigFile(path)).rejects.toThrow(new RegExp(`^config ${path}: YAML syntax error at line \\d+, column \\d+$`));
    await expect(readConfigFile(path)).rejects.not.toThrow(/hunter2/);
  });

  it('reports a JSON syntax error without quoting the file', async () => {
    const path = file('broken.json', '{"providers": {"a": "hunter2"');
    const error = await readConfigFile(path).catch((e: Error) => e);
    expect(String(error)).toMatch(new RegExp(`config ${path}: JSON syntax error`));
    expect(String(error)).not.toContain('hunter2');
  });

  it('refuses an empty file', async () => {
    const path = file('empty.yaml', '\n# nothing\n');
    await expect(readConfigFile(path)).rejects.toThrow(`config ${path} is empty`);
  });

  it('does not run YAML tags that construct objects or code', async () => {
    const path = file('tags.yaml', 'providers: !!js/function "function(){}"\n');
    await expect(readConfigFile(path)).rejects.toThrow(/YAML syntax error/);
  });
});

describe('routing', () => {
  const config = compile({
    providers: { a: { type: 'local' }, b: { type: 'env' }, c: { type: 'local' }, d: { type: 'env' } },
    routes: [
      { match: '*.dkr.ecr.*.amazonaws.com', provider: 'a' },
      { match: ['ghcr.io', 'index.docker.io'], provider: 'b' },
      { match: 'registry.corp:5000', provider: 'c' },
      { match: 'localhost:*', provider: 'd' },
      { match: '**.corp', provider: 'a' },
      { match: '[::1]:5000', provider: 'b' },
    ],
  });
  it.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'a', 'routes[0]'],
    ['a.b.dkr.ecr.eu-west-1.amazonaws.com', undefined, 'none'],
    ['ghcr.io', 'b', 'routes[1]'],
    ['https://ghcr.io:443/', 'b', 'routes[1]'],
    ['docker.io', 'b', 'routes[1]'],
    ['https://index.docker.io/v1/', 'b', 'routes[1]'],
    ['registry.corp:5000', 'c', 'routes[2]'],
    ['registry.corp:5001', 'a', 'routes[4]'],
    ['localhost:5000', 'd', 'routes[3]'],
    ['localhost', 'd', 'routes[3]'],
    ['x.y.corp', 'a', 'routes[4]'],
    ['[::1]:5000', 'b', 'routes[5]'],
    ['[::1]:5001', undefined, 'none'],
    ['quay.io', undefined, 'none'],
  ])('%s → %s', (url, provider, label) => {
    const match = matchRoute(config, normalizeServerUrl(url));
    expect(match?.route.provider).toBe(label === 'none' ? undefined : provider);
    if (label !== 'none') expect(match?.route.label).toBe(label);
  });

  it('falls back to the default route, and only then', () => {
    const withDefault = compile({ ...base, routes: [{ match: 'ghcr.io', provider: 'local', timeout: '250ms' }], default: { provider: 'local', timeout: 2000 } });
    expect(matchRoute(withDefault, normalizeServerUrl('quay.io'))?.route.label).toBe('default');
    expect(matchRoute(withDefault, normalizeServerUrl('ghcr.io'))?.route.timeoutMs).toBe(250);
    expect(withDefault.defaultRoute?.timeoutMs).toBe(2000);
  });
});

describe('config files shipped with the project', () => {
  it('config/schema.json matches the schema source (run `npm run schema` after changing it)', () => {
    expect(readFileSync('config/schema.json', 'utf8')).toBe(renderConfigJsonSchema());
  });

  const examples = readdirSync('config/examples');
  it('has examples', () => expect(examples.length).toBeGreaterThan(0));
  it.each(examples)('config/examples/%s is valid', async (name) => {
    const path = join(dir, name);
    writeFileSync(path, readFileSync(join('config/examples', name)));
    chmodSync(path, 0o600);
    const config = compileConfig(path, await readConfigFile(path));
    expect(config.routes.length + (config.defaultRoute ? 1 : 0)).toBeGreaterThan(0);
  });
});
