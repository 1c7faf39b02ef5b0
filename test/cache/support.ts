import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileConfig } from '../../src/config/compile.js';
import { BRIDGE_COMMAND, type BridgeHome } from '../support/bridge.js';
import type { OpenBao } from '../support/openbao.js';
import { type EnvOverrides, missingCommands, type RunResult, run } from '../support/processes.js';

/**
 * Running the built helper as the cache sees the world: under `keyctl session -` (a session
 * keyring of its own, as a login session has), bare (in this sandbox: no session keyring; entries
 * still reach the user's persistent keyring, see src/cache/stores.ts), in a user namespace of its
 * own (`unshare --user`: fresh keyrings per process, so keyutils entries die with the process that
 * wrote them, as on kernels without persistent keyrings), or with the key syscalls refused by a
 * seccomp filter (as in a Docker container), with or without a D-Bus session bus.
 */
export type Keyring = 'session' | 'none' | 'private' | 'blocked';

const NO_KEYCTL = resolve('test/support/no-keyctl.py');
/** Debian's python3 with its python3-seccomp package (not whatever python3 is first on PATH). */
const SYSTEM_PYTHON = '/usr/bin/python3';

/** Why the key syscalls cannot be refused to the helper here (no python3-seccomp), or undefined. */
export function keyctlBlockMissing(): string | undefined {
  const probe = spawnSync(SYSTEM_PYTHON, [NO_KEYCTL, 'keyctl', 'show', '@s'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error !== undefined || /ModuleNotFoundError|No module/.test(probe.stderr ?? '')) {
    return `${SYSTEM_PYTHON} with python3-seccomp is needed to refuse keyctl (apt install python3-seccomp)`;
  }
  return /Operation not permitted/.test(probe.stderr ?? '') ? undefined : `seccomp did not refuse keyctl: ${(probe.stderr ?? '').trim()}`;
}

/** Why `unshare --user` cannot give the helper keyrings of its own here, or undefined. */
export function privateKeyringMissing(): string | undefined {
  const missing = missingCommands('unshare', 'keyctl');
  if (missing !== undefined) return missing;
  const probe = spawnSync('unshare', ['--user', '--map-root-user', 'keyctl', 'show', '@s'], { encoding: 'utf8', timeout: 10_000 });
  return probe.status === 0 ? undefined : `unshare --user fails here: ${(probe.stderr ?? '').trim()}`;
}

const WRAPPERS: Record<Keyring, string[]> = {
  session: ['keyctl', 'session', '-'],
  none: [],
  private: ['unshare', '--user', '--map-root-user'],
  blocked: [SYSTEM_PYTHON, NO_KEYCTL],
};

/** Why `keyctl session -` cannot wrap the helper here (no keyutils: seccomp, no binary), or undefined. */
export function keyctlMissing(): string | undefined {
  const missing = missingCommands('keyctl');
  if (missing !== undefined) return missing;
  const probe = spawnSync('keyctl', ['session', '-', 'true'], { encoding: 'utf8', timeout: 10_000 });
  return probe.status === 0 ? undefined : `keyctl session - fails here: ${(probe.stderr ?? '').trim()}`;
}

/** `keyctl session -` announces the keyring it made on stderr; the helper's own stderr is what tests judge. */
function dropKeyctlLine(result: RunResult): RunResult {
  return { ...result, stderr: result.stderr.replace(/^Joined session keyring: \d+\n/m, '') };
}

export function runBridge(home: BridgeHome, keyring: Keyring, args: string[], stdin = '', env: EnvOverrides = {}): Promise<RunResult> {
  const command = [...WRAPPERS[keyring], ...BRIDGE_COMMAND, ...args];
  return run(command, { stdin, env: home.env(env), timeoutMs: 120_000 }).then(dropKeyctlLine);
}

/**
 * Reads of `secret/docker/<key>` (KV v2) the server answered, counted in its audit log: one
 * `"type":"response"` entry per request, of which only `read`s are the helper's (the test's own
 * writes go to the same path).
 */
export function readsOf(bao: OpenBao, key: string): number {
  const log = join(bao.dir, 'audit.log');
  if (!existsSync(log)) return 0;
  let count = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (line === '') continue;
    const entry = JSON.parse(line) as { type?: string; request?: { path?: string; operation?: string } };
    if (entry.type === 'response' && entry.request?.operation === 'read' && entry.request.path === `secret/data/docker/${key}`) count++;
  }
  return count;
}

export async function putSecret(bao: OpenBao, key: string, username: string, password: string): Promise<void> {
  await bao.apiOk('POST', `secret/data/docker/${key}`, { data: { username, password, server_url: key } });
}

/** A config routing `*.<domain>` to a Vault provider on `bao`, plus whatever else the test adds. */
export function vaultConfig(bao: OpenBao, extra = ''): string {
  return `providers:\n  corp: ${JSON.stringify(PROVIDER(bao))}\n${extra}`;
}

/** The provider every cache test routes to (JSON is YAML). */
const PROVIDER = (bao: OpenBao) => ({ type: 'vault', address: bao.address, auth: { method: 'token' } });

export function credentialLine(serverURL: string, username: string, secret: string): string {
  return `${JSON.stringify({ ServerURL: serverURL, Username: username, Secret: secret })}\n`;
}

/**
 * keyutils entries outlive the test: the library links each one into the user's persistent keyring
 * (kept for days, counted against the user's key quota), even when the writing process had no
 * session keyring. Unlinks this run's entries only — those of `vaultConfig(bao)`'s provider, whose
 * name hashes the server's random port — so a test run never touches another's, nor a user's.
 */
export function purgeKeyutilsEntries(bao: OpenBao): void {
  if (keyctlMissing() !== undefined) return;
  const id = compileConfig('/purge', { providers: { corp: PROVIDER(bao) } }).providers.corp?.cacheId;
  if (id === undefined) return;
  const script = `P=$(keyctl get_persistent @s) || exit 0
for key in $(keyctl rlist "$P" 2>/dev/null); do
  case "$(keyctl rdescribe "$key" 2>/dev/null)" in
    *";keyring:$ID/"*"@docker-credential-bridge-cache") keyctl unlink "$key" "$P" >/dev/null 2>&1 ;;
  esac
done`;
  spawnSync('keyctl', ['session', '-', 'sh', '-c', script], { env: { ...process.env, ID: id }, timeout: 20_000, stdio: 'ignore' });
}
