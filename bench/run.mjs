// `npm run bench`: bundles bench/main.ts on the fly (Node 20 runs no TypeScript) and runs it.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, '.bench-tmp');
mkdirSync(outdir, { recursive: true });
const outfile = resolve(outdir, 'bench.mjs');
await esbuild.build({
  entryPoints: [resolve(root, 'bench/main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  packages: 'external',
  outfile,
  logLevel: 'warning',
});
try {
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
