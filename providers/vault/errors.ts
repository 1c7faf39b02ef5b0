/**
 * The one place where node-vault's and Node's errors become ProviderErrors. node-vault's
 * `ApiResponseError` message is the server's first error string and its `response.body` the whole
 * answer; axios errors carry the request config (headers with X-Vault-Token, the body with the
 * secret). None of that is ever quoted or chained: messages are built from the status code, the
 * system error code and what we were doing.
 */
import { isBridgeError, ProviderError } from '../../src/errors.js';

/** What was being done, for the message: `reading secret/docker/ghcr.io`, `logging in with approle at auth/approle`. */
export interface Operation {
  /** `vault provider "corp-vault"` */
  readonly who: string;
  /** Server URL without credentials. */
  readonly address: string;
  readonly action: string;
  /** A login: 400/401/403 mean the credentials were refused. */
  readonly login?: boolean;
}

/** Thrown by the transport when the call's deadline passed (the socket is destroyed by then). */
export class DeadlineError extends Error {
  constructor() {
    super('deadline reached');
    this.name = 'DeadlineError';
  }
}

/**
 * A refusal that a fresh token might not get: a 403 from Vault, or our own "no such mount" from
 * the mount check (which a revoked token also sees). A reused login token gets one re-login.
 */
export function isDenied(error: unknown): boolean {
  return statusOf(error) === 403 || (error as { denied?: unknown } | null)?.denied === true;
}

/** A ProviderError that `isDenied` recognises. */
export function deniedError(message: string): ProviderError {
  return Object.assign(new ProviderError(message), { denied: true });
}

/** HTTP status of a node-vault ApiResponseError, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { response?: { statusCode?: unknown } } | null)?.response?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The server's error strings, for branching only (never for messages). */
function serverErrors(error: unknown): string[] {
  const errors = (error as { response?: { body?: { errors?: unknown } } } | null)?.response?.body?.errors;
  return Array.isArray(errors) ? errors.filter((e): e is string => typeof e === 'string') : [];
}

function systemCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) && code !== 'ERR_BAD_RESPONSE' && code !== 'ERR_BAD_REQUEST') return code;
  }
  return undefined;
}

const TLS_CODE = /^(?:CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_TLS_|ERR_SSL_|HOSTNAME_|EPROTO$)/;

/** Maps any failure of a Vault call to a one-line ProviderError that names no secret. */
export function toProviderError(error: unknown, op: Operation): ProviderError {
  if (isBridgeError(error)) return error;
  const fail = (reason: string) => new ProviderError(`${op.who}: ${reason}`);
  if (error instanceof DeadlineError) return fail(`no answer from ${op.address} in time (${op.action})`);

  const status = statusOf(error);
  if (status !== undefined) {
    if (op.login && (status === 400 || status === 401 || status === 403)) {
      return fail(`${op.action} was refused (HTTP ${status}): check the role and its credentials`);
    }
    const cas = status === 400 ? serverErrors(error).find((e) => e.includes('check-and-set')) : undefined;
    if (cas !== undefined) {
      return fail(
        /required/i.test(cas)
          ? `${op.action} was rejected: the mount requires check-and-set writes (set cas: true)`
          : `${op.action}: the secret changed since it was read (check-and-set); try again`,
      );
    }
    if (status === 401 || status === 403) {
      return fail(`permission denied ${op.action} (HTTP ${status}): the token is invalid, expired or revoked, or its policy does not allow this`);
    }
    if (status === 404 && op.login) return fail(`${op.action}: no such auth method (HTTP 404)`);
    if (status === 503) {
      const sealed = serverErrors(error).some((e) => /sealed/i.test(e));
      return fail(`${op.address} is ${sealed ? 'sealed' : 'unavailable (standby, sealed or in maintenance)'} (HTTP 503)`);
    }
    if (status === 429) return fail(`${op.address} is rate limiting requests (HTTP 429)`);
    if (status === 501) return fail(`${op.address} is not initialized (HTTP 501)`);
    if (status >= 500) return fail(`server error ${op.action} (HTTP ${status})`);
    return fail(`${op.action} was rejected (HTTP ${status})`);
  }

  const code = systemCode(error);
  switch (code) {
    case 'ECONNREFUSED':
      return fail(`cannot connect to ${op.address} (connection refused)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail(`cannot resolve the host of ${op.address} (${code})`);
    case 'ECONNRESET':
    case 'EPIPE':
      return fail(`connection to ${op.address} was closed by the other side (${code}) ${op.action}`);
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
      return fail(`connection to ${op.address} timed out (${code})`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail(`${op.address} is unreachable (${code})`);
    case undefined:
      break;
    default:
      if (TLS_CODE.test(code)) {
        return fail(`TLS with ${op.address} failed (${code}); trust its CA with VAULT_CACERT / tls.caCert, or check the client certificate`);
      }
      return fail(`${op.action} failed (${code})`);
  }
  const name = error instanceof Error ? error.name : typeof error;
  return fail(`${op.action} failed (${name})`);
}
