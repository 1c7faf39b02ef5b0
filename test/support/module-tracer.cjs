// Preloaded with `node -r` into a helper process under test: records every module file the
// process loads (CommonJS require and ESM import alike, and the bundle files the launcher compiles
// itself with vm.Script) and writes the list at exit to $BRIDGE_TRACE_MODULES, so tests can prove
// which code a path does not load.
const { writeFileSync } = require('node:fs');
const Module = require('node:module');
const vm = require('node:vm');

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
const OriginalScript = vm.Script;
vm.Script = class TracedScript extends OriginalScript {
  constructor(code, options) {
    super(code, options);
    if (options && typeof options.filename === 'string') loaded.add(options.filename);
  }
};
process.on('exit', () => {
  writeFileSync(process.env.BRIDGE_TRACE_MODULES, [...loaded].join('\n'));
});
