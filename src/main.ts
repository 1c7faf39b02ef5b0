import { loadConfig } from './config/load.js';
import { isBridgeError, UsageError } from './errors.js';
import { createLogger } from './log.js';
import { APP_NAME, type Env } from './paths.js';
import { isProtocolAction, runProtocolAction } from './protocol.js';
import { describeError, Resolver } from './resolver.js';
export { describeError };
import { readStdin, writeStdout } from './stdio.js';
import { PACKAGE_NAME, VERSION } from './version.js';

/**
 * Entry point: argv → command, and the only place that turns errors into output and exit codes.
 * Protocol verbs report failures on stdout (clients read nothing else); other commands on stderr.
 */
const USAGE = `Usage: ${APP_NAME} <store|get|erase|list|version>
       ${APP_NAME} explain <server-url>    show how a registry is routed and cached (never prints secrets)
       ${APP_NAME} cache list              cached entries: registry, provider, age, expiry (no secrets)
       ${APP_NAME} cache clear [server-url]  remove all cached entries, or one registry's
       ${APP_NAME} doctor                  check the config and the keychains the cache can use
       ${APP_NAME} --help | --version
`;

/** Subcommands beyond the protocol, each loaded only when called. */
const COMMANDS: Record<string, () => Promise<{ run(args: string[], env: Env): Promise<number> }>> = {
  explain: () => import('./commands/explain.js'),
  cache: () => import('./commands/cache.js'),
  doctor: () => import('./commands/doctor.js'),
};

export async function main(argv: readonly string[], env: Env): Promise<number> {
  const [action, ...rest] = argv;
  if (action === '-h' || action === '--help' || action === 'help') {
    writeStdout(USAGE);
    return 0;
  }
  if (action === undefined) {
    writeStdout(USAGE);
    return 1;
  }
  if ((action === 'version' || action === '--version' || action === '-v') && rest.length === 0) {
    writeStdout(`${APP_NAME} (${PACKAGE_NAME}) ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[action];
  if (command !== undefined) {
    try {
      return await (await command()).run(rest, env);
    } catch (error) {
      process.stderr.write(`${APP_NAME} ${action}: ${errorLine(error)}\n`);
      return isBridgeError(error) ? error.exitCode : 1;
    }
  }
  if (!isProtocolAction(action)) {
    writeStdout(`${APP_NAME}: unknown action: ${action}\n`);
    return 1;
  }
  if (rest.length > 0) {
    writeStdout(USAGE);
    return 1;
  }
  try {
    const log = createLogger(env);
    const { config } = await loadConfig(env);
    const resolver = new Resolver({ config, env, log });
    await runProtocolAction(action, { readInput: () => readStdin(), write: writeStdout }, resolver);
    return 0;
  } catch (error) {
    writeStdout(`${errorLine(error)}\n`);
    return isBridgeError(error) ? error.exitCode : 1;
  }
}

export function errorLine(error: unknown): string {
  if (error instanceof UsageError) return `${error.message}\n${USAGE}`.trimEnd();
  return isBridgeError(error) ? error.message : `internal error: ${describeError(error)}`;
}
