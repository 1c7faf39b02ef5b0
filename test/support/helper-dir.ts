import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './processes.js';
import { makeTempDir } from './temp-dir.js';

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * A temp dir holding an executable `docker-credential-<name>` shim that execs `command` "$@",
 * to put in front of PATH for docker and skopeo. With `callLog`, the shim first appends its
 * arguments (the action only: payloads and secrets travel on stdin) as one line to that file,
 * so a test can prove a client really consulted the helper. The caller removes the dir on teardown
 * (`removeTempDir`).
 * A bare command name is resolved now: once the dir is first on PATH, `exec docker-credential-X`
 * would find the shim itself and re-exec it forever.
 */
export function makeHelperDir(name: string, command: readonly string[], callLog?: string): string {
  if (command.length === 0) throw new Error('makeHelperDir: empty command');
  const [program, ...args] = command;
  const resolved = program !== undefined && !program.includes('/') ? which(program) : program;
  if (resolved === undefined) throw new Error(`makeHelperDir: ${program} not on PATH`);
  const dir = makeTempDir('bridge-helper-');
  const shim = join(dir, `docker-credential-${name}`);
  const log = callLog === undefined ? '' : `printf '%s\\n' "$*" >> ${shellQuote(callLog)}\n`;
  writeFileSync(shim, `#!/bin/sh\n${log}exec ${[resolved, ...args].map(shellQuote).join(' ')} "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}
