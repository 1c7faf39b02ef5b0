// Writes config/schema.json from src/config/schema.ts (bundled on the fly: Node 20 cannot run TS).
// test/unit/config-schema.test.ts fails when the committed file drifts from the source.
import { writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const result = await esbuild.build({
  entryPoints: [resolve(root, 'src/config/json-schema.ts')],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  logLevel: 'warning',
});
const code = result.outputFiles[0].text;
const { renderConfigJsonSchema } = await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
writeFileSync(resolve(root, 'config/schema.json'), renderConfigJsonSchema());
console.log('wrote config/schema.json');
