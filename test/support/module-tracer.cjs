// Preloaded with `node -r` into a helper process under test: records every module file the
// process loads (CommonJS require and ESM import alike) and writes the list at exit to
// $BRIDGE_TRACE_MODULES, so tests can prove which code a path does not load.
const { writeFileSync } = require('node:fs');
const Module = require('node:module');

const loaded = new Set();
const originalLoad = Module._load;
Module._load = function load(request, parent, isMain, ...rest) {
  try {
    loaded.add(Module._resolveFilename(request, parent, isMain));
  } catch {
    loaded.add(request);
  }
  return originalLoad.call(this, request, parent, isMain, ...rest);
};
process.on('exit', () => {
  writeFileSync(process.env.BRIDGE_TRACE_MODULES, [...loaded].join('\n'));
});
