import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockSync } from 'proper-lockfile';
import { recordFileName } from './records.js';

/**
 * A per-entry lock across processes: proper-lockfile's mkdir lock, whose holder also writes its
 * pid into the lock directory. A waiter takes over a lock whose holder is dead (kill -9, a crash)
 * at once, by that pid. proper-lockfile's own mtime-based staleness is only the backstop (a pid
 * reused, another pid namespace): a short one would let waiters on a busy machine take the lock
 * from a live holder that was merely slow to refresh it, and call the backend a second time.
 */
export const STALE_MS = 30_000;
/** A lock directory still without a pid this long after it was made lost its holder in between. */
const PIDLESS_STALE_MS = 2_000;
/** Waiters poll; jitter keeps 64 of them from trying in lock-step. */
const POLL_MS = [8, 24] as const;
const PID_FILE = 'pid';

export interface HeldLock {
  /** Whether another process held it when we asked: the entry may have been filled meanwhile. */
  readonly contended: boolean;
  release(): Promise<void>;
}

/** Takes the lock of `account`, waiting at most `waitMs`; undefined when the wait ran out. */
export async function lockEntry(cacheDir: string, account: string, waitMs: number): Promise<HeldLock | undefined> {
  const dir = join(cacheDir, 'locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, recordFileName(account));
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + waitMs;
  let contended = false;
  for (;;) {
    try {
      // Synchronous, so that nothing runs between making the lock directory and writing our pid into
      // it: a waiter takes a pid-less directory older than PIDLESS_STALE_MS for a dead holder's, and
      // on a loaded machine an async hop in between was seen to last that long (two backend reads).
      const release = lockSync(file, {
        realpath: false,
        stale: STALE_MS,
        retries: 0,
        // Compromised means another process judged us stale and took over: its write and ours are
        // both atomic and both fresh, so there is nothing to undo. proper-lockfile's default throws.
        onCompromised: () => {},
      });
      // The directory's mtime is proper-lockfile's heartbeat: put it back after adding the pid file,
      // or its next refresh would find a foreign mtime and give the lock up as compromised.
      const { atime, mtime } = statSync(lockDir);
      writeFileSync(join(lockDir, PID_FILE), String(process.pid), { mode: 0o600 });
      utimesSync(lockDir, atime, mtime);
      return {
        contended,
        release: async () => {
          try {
            rmSync(join(lockDir, PID_FILE), { force: true }); // proper-lockfile removes an empty directory only
            release();
          } catch {
            // already released or taken over: nothing to do
          }
        },
      };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ELOCKED') throw error;
    }
    contended = true;
    if (holderIsGone(lockDir)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    const pause = POLL_MS[0] + Math.random() * (POLL_MS[1] - POLL_MS[0]);
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, pause)));
  }
}

/** The holder's process no longer exists (or never wrote its pid and the lock is older than a moment). */
function holderIsGone(lockDir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lockDir, PID_FILE), 'utf8'));
  } catch {
    try {
      return Date.now() - statSync(lockDir).mtimeMs > PIDLESS_STALE_MS;
    } catch {
      return false; // released meanwhile: the next attempt takes it
    }
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: it exists, as another user's process (a reused pid); only ESRCH means gone.
    return (error as { code?: unknown }).code === 'ESRCH';
  }
}
