// Builds the shipped helper: one CommonJS file for the hot path plus one file per lazily loaded
// module. CommonJS because Node 20 starts a CJS file ~7 ms faster than an ESM one (docs/benchmarks.md);
// separate files because a CJS bundle would otherwise parse every provider on every start.
import { chmodSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, 'dist');

/** Every module that is only ever reached through `import()`: each becomes its own file. */
const LAZY = {
  'config-compile': 'src/config/compile.ts',
  'command-explain': 'src/commands/explain.ts',
  'command-cache': 'src/commands/cache.ts',
  'command-doctor': 'src/commands/doctor.ts',
  'cache-fill': 'src/cache/fill.ts',
  'provider-env': 'providers/env/index.ts',
  'provider-local': 'providers/local/index.ts',
  'local-file-store': 'providers/local/age-file-store.ts',
  'provider-vault': 'providers/vault/index.ts',
};
/**
 * Native packages: required from node_modules on first use, never bundled. Pure-JS SDKs are
 * bundled into their provider's own lazy file instead: one file parses faster than node-vault's
 * tree of modules (axios, form-data, mime-types …) resolved file by file (~80 ms less per miss).
 */
const EXTERNAL = ['@napi-rs/keyring'];

const lazyByPath = new Map(Object.entries(LAZY).map(([name, file]) => [resolve(root, file), name]));

/** Rewrites `import('./x.js')` of a lazy module into `require('./bridge-<name>.cjs')`. */
const splitLazyModules = {
  name: 'split-lazy-modules',
  setup(build) {
    build.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts'));
      const name = lazyByPath.get(target);
      if (name === undefined) {
        throw new Error(`${relative(root, args.importer)}: import() of ${args.path} is not listed in LAZY in scripts/build.mjs`);
      }
      return { path: `./bridge-${name}.cjs`, external: true };
    });
  },
};

const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'));

rmSync(outdir, { recursive: true, force: true });
const common = {
  define: { __BRIDGE_PACKAGE__: JSON.stringify(pkg.name), __BRIDGE_VERSION__: JSON.stringify(pkg.version) },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outdir,
  external: EXTERNAL,
  plugins: [splitLazyModules],
  // Identifiers too: a third smaller, ~0.3 ms less to load on every start (docs/benchmarks.md).
  minify: true,
  // Error classes name themselves from the constructor: keep names for readable messages.
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  // import() becomes require(): Node 20 otherwise loads each lazy .cjs file (and @napi-rs/keyring)
  // through the ESM loader, which first scans the whole file with cjs-module-lexer (~5-20 ms).
  supported: { 'dynamic-import': false },
};
await esbuild.build({
  ...common,
  entryPoints: { 'docker-credential-bridge': resolve(root, 'src/bin.ts') },
  outExtension: { '.js': '.cjs' },
  banner: { js: '#!/usr/bin/env node' },
});
await esbuild.build({
  ...common,
  entryPoints: Object.fromEntries(Object.entries(LAZY).map(([name, file]) => [`bridge-${name}`, resolve(root, file)])),
  outExtension: { '.js': '.cjs' },
});
chmodSync(resolve(outdir, 'docker-credential-bridge.cjs'), 0o755);
console.log(`built ${basename(outdir)}/docker-credential-bridge.cjs and ${Object.keys(LAZY).length} lazy modules`);
