/**
 * Error classes and the three protocol strings. Only the protocol layer prints these strings;
 * real clients (docker, containers/image) compare them byte for byte after trimming.
 */
export const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
export const MISSING_SERVER_URL_MESSAGE = 'no credentials server URL';
export const MISSING_USERNAME_MESSAGE = 'no credentials username';

export interface BridgeErrorOptions {
  exitCode?: number;
  cause?: unknown;
}

/**
 * A failure whose message is one line, safe to show (never holds a secret), and final.
 * Lazily loaded bundles carry their own copy of this class, so callers test with
 * `isBridgeError` (duck typing) rather than `instanceof`.
 */
export class BridgeError extends Error {
  readonly exitCode: number;
  readonly bridgeError = true;

  constructor(message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Wrong command line: usage problems. */
export class UsageError extends BridgeError {}

/** Bad data on stdin or in an argument. */
export class InputError extends BridgeError {}

/** The config file could not be found, trusted, parsed or validated. */
export class ConfigError extends BridgeError {}

/** A backend failed (unreachable, denied, malformed answer). Not used for "not found". */
export class ProviderError extends BridgeError {}

export function isBridgeError(error: unknown): error is BridgeError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { bridgeError?: unknown }).bridgeError === true &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}
