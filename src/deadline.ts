import { ProviderError } from './errors.js';

/**
 * Runs a backend call under a deadline. The signal tells well-behaved SDKs to stop; the race
 * covers those that ignore it (node-vault's low-level request does), so `docker pull` never hangs.
 */
export async function withDeadline<T>(ms: number, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ProviderError(`${what} timed out after ${formatMs(ms)}`));
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
