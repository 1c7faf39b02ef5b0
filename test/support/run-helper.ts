import { type RunResult, run } from './processes.js';

/** A credential helper binary under test: the reference or our own bridge. */
export interface HelperUnderTest {
  /** The helper name as clients know it: `docker-credential-<name>`. */
  name: string;
  /** argv prefix, e.g. ['docker-credential-secretservice'] or ['node', '/abs/dist/docker-credential-bridge.cjs']. */
  command: string[];
  /** Extra environment, evaluated at call time (after beforeAll hooks started the servers). */
  env: () => Record<string, string | undefined>;
  /** True for docker-credential-bridge: enables expectations the reference does not meet. */
  bridge: boolean;
}

/** Runs one helper action as a client does: a fresh process, the payload on stdin, stdout read. */
export function runHelper(h: HelperUnderTest, args: string[], stdin?: string | Buffer): Promise<RunResult> {
  return run([...h.command, ...args], { stdin: stdin ?? '', env: h.env(), timeoutMs: 30_000 });
}
