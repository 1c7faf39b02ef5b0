import { describeError, main } from './main.js';
import { APP_NAME } from './paths.js';

/** Last resort: no stack trace (it could quote a secret from a library's message), one line, exit 1. */
function crash(error: unknown): void {
  try {
    process.stderr.write(`${APP_NAME}: internal error: ${describeError(error)}\n`);
  } finally {
    process.exit(1);
  }
}

process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);
main(process.argv.slice(2), process.env).then((code) => process.exit(code), crash);
