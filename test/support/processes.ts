import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** Environment for a child: the given variables replace the parent's; `undefined` removes one. */
export type EnvOverrides = Record<string, string | undefined>;

export interface RunResult {
  /** Exit code; -1 when the process was killed by a signal (see `signal`). */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, which is then closed (an empty stdin when omitted). */
  stdin?: string | Buffer;
  /** Merged over process.env; `undefined` values remove a variable. */
  env?: EnvOverrides;
  cwd?: string;
  /** The child's whole process group is killed after this long (default 60 s). */
  timeoutMs?: number;
}

/** Absolute path of an executable on PATH, or undefined. */
export function which(cmd: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, cmd);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The first of `cmds` that is not on PATH, as a skip reason ("skopeo not on PATH"), or undefined. */
export function missingCommands(...cmds: string[]): string | undefined {
  const missing = cmds.filter((c) => which(c) === undefined);
  return missing.length === 0 ? undefined : `${missing.join(', ')} not on PATH`;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the caller should retry if the bind races). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it returns true; throws `what` (plus the last error) after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
  intervalMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}

export function childEnv(overrides: EnvOverrides = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

// Process groups still alive when the test worker ends (a crashed suite skipped its afterAll, or
// the run was interrupted) are killed then, so no registry or keyring daemon outlives the run;
// other synchronous cleanups (temp dirs) run after that. One registry per worker process:
// vitest re-imports this module for every test file.
const REGISTRY_KEY = Symbol.for('docker-credential-bridge.test.worker-exit');
interface ExitRegistry {
  groups: Set<number>;
  cleanups: Set<() => void>;
}
type GlobalWithRegistry = typeof globalThis & { [REGISTRY_KEY]?: ExitRegistry };

function exitRegistry(): ExitRegistry {
  const holder = globalThis as GlobalWithRegistry;
  const existing = holder[REGISTRY_KEY];
  if (existing !== undefined) return existing;
  const registry: ExitRegistry = { groups: new Set(), cleanups: new Set() };
  holder[REGISTRY_KEY] = registry;
  const runAll = (): void => {
    for (const pgid of registry.groups) killGroup(pgid, 'SIGKILL');
    registry.groups.clear();
    for (const cleanup of registry.cleanups) {
      try {
        cleanup();
      } catch {
        // best effort while exiting
      }
    }
    registry.cleanups.clear();
  };
  process.on('exit', runAll);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    // Clean up, then die of the same signal as without this listener.
    process.once(signal, () => {
      runAll();
      process.kill(process.pid, signal);
    });
  }
  return registry;
}
const liveGroups = exitRegistry().groups;

/** Runs `cleanup` (synchronous) if the worker exits or is interrupted first; returns the unregister. */
export function atWorkerExit(cleanup: () => void): () => void {
  const { cleanups } = exitRegistry();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Writes `stdin` (if any) and closes it; a child that exits without reading must not crash us (EPIPE). */
function feedStdin(child: ChildProcess, stdin: string | Buffer | undefined): void {
  if (child.stdin === null) return;
  child.stdin.on('error', () => {});
  child.stdin.end(stdin ?? '');
}

/**
 * Spawns with piped stdio (never the parent's) in its own process group (detached), so a timeout
 * or stop can kill grandchildren too; output is buffered for the caller.
 */
function spawnInGroup(
  command: readonly string[],
  options: { env?: EnvOverrides; cwd?: string | undefined },
): { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string } {
  const [file, ...args] = command;
  if (file === undefined) throw new Error('spawn: empty command');
  const child = spawn(file, args, { env: childEnv(options.env), cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return { child, stdout: () => Buffer.concat(out).toString('utf8'), stderr: () => Buffer.concat(err).toString('utf8') };
}

/**
 * Runs a command to completion with piped stdio (never the parent's), feeding `stdin`.
 * Secrets belong in `stdin` or files, never in `command`.
 */
export function run(command: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const { child, stdout, stderr } = spawnInGroup(command, options);
    const pgid = child.pid;
    if (pgid !== undefined) liveGroups.add(pgid);
    const timeoutMs = options.timeoutMs ?? 60_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (pgid !== undefined) killGroup(pgid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      if (pgid !== undefined) liveGroups.delete(pgid);
      reject(error);
    });
    // 'close' (not 'exit') so all output has been read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (pgid !== undefined) liveGroups.delete(pgid);
      const result: RunResult = {
        code: code ?? -1,
        signal,
        stdout: stdout(),
        stderr: stderr(),
      };
      if (timedOut) {
        reject(new Error(`${command.join(' ')} timed out after ${timeoutMs} ms; stderr: ${result.stderr}`));
        return;
      }
      resolve(result);
    });
    feedStdin(child, options.stdin);
  });
}

/** Like `run`, but throws with the output when the exit code is not 0. */
export async function runOk(command: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(command, options);
  if (result.code !== 0) {
    throw new Error(`${command.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
  return result;
}

export interface BackgroundProcess {
  readonly pid: number;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a long-running server in its own process group, stdio piped and buffered. */
export async function startBackground(
  command: readonly string[],
  options: { env?: EnvOverrides; cwd?: string; stdin?: string | Buffer } = {},
): Promise<BackgroundProcess> {
  const { child, stdout, stderr } = spawnInGroup(command, options);
  let done = false;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      done = true;
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${command[0]} did not start`);
  liveGroups.add(pid);
  feedStdin(child, options.stdin);
  return {
    pid,
    stdout,
    stderr,
    exited: () => done,
    async stop(graceMs = 5_000) {
      if (!done) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // The leader is gone; make sure nothing it forked lingers in the group.
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    },
  };
}
