import type { Logger } from '../providers/types.js';
import { APP_NAME, DEBUG_VAR, type Env } from './paths.js';

/**
 * stderr goes straight to the user's terminal under docker/skopeo, so it carries one-line notes
 * and, with DOCKER_CREDENTIAL_BRIDGE_DEBUG=1, debug events. Fields are scalars by type, which
 * keeps credential objects out by construction; values are never secrets by convention of callers.
 */
export function createLogger(env: Env, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const debugOn = env[DEBUG_VAR] === '1' || env[DEBUG_VAR] === 'true';
  return {
    note(message) {
      write(`${APP_NAME}: ${message}\n`);
    },
    debug(event, fields) {
      if (!debugOn) return;
      const parts = fields === undefined ? [] : Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`);
      write(`${APP_NAME}: debug ${event}${parts.length ? ` ${parts.join(' ')}` : ''}\n`);
    },
  };
}
