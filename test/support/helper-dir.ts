import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function shellQuote(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * A temp dir holding an executable `docker-credential-<name>` shim that execs `command` "$@",
 * to put in front of PATH for docker and skopeo. With `callLog`, the shim first appends its
 * arguments (the action only: payloads and secrets travel on stdin) as one line to that file,
 * so a test can prove a client really consulted the helper. The caller removes the dir on teardown.
 */
export function makeHelperDir(name: string, command: readonly string[], callLog?: string): string {
  if (command.length === 0) throw new Error('makeHelperDir: empty command');
  const dir = mkdtempSync(join(tmpdir(), 'bridge-helper-'));
  const shim = join(dir, `docker-credential-${name}`);
  const log = callLog === undefined ? '' : `printf '%s\\n' "$*" >> ${shellQuote(callLog)}\n`;
  writeFileSync(shim, `#!/bin/sh\n${log}exec ${command.map(shellQuote).join(' ')} "$@"\n`);
  chmodSync(shim, 0o755);
  return dir;
}
