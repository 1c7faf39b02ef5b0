import { spawnSync } from 'node:child_process';

/** One command to time: a fresh process per run, as Docker spawns helpers. */
export interface Command {
  readonly label: string;
  readonly argv: readonly string[];
  readonly stdin?: string;
  readonly env: Record<string, string | undefined>;
  /** Checked on the first run, so a benchmark never times a failing command. */
  readonly expect: (status: number | null, stdout: string) => boolean;
}

export interface Timing {
  readonly label: string;
  readonly medianMs: number;
  readonly p90Ms: number;
  /** The fastest run: noise only ever adds time, so this is the steadiest view of the cost itself. */
  readonly minMs: number;
  readonly runs: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * Runs the commands round-robin (so drift and noise hit all of them alike) and reports the
 * medians. Whole-process wall time from spawn to exit, stdin included.
 */
export function measure(commands: readonly Command[], runs: number, warmup = 3): Timing[] {
  const times = commands.map(() => [] as number[]);
  for (let i = -warmup; i < runs; i++) {
    commands.forEach((command, index) => {
      const [file, ...args] = command.argv;
      if (file === undefined) throw new Error('empty argv');
      const start = process.hrtime.bigint();
      const result = spawnSync(file, args, { input: command.stdin ?? '', env: command.env as NodeJS.ProcessEnv });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (i === -warmup && !command.expect(result.status, result.stdout.toString())) {
        throw new Error(`${command.label}: unexpected result (exit ${result.status}): ${result.stdout}${result.stderr}`);
      }
      if (i >= 0) times[index]?.push(ms);
    });
  }
  return commands.map((command, index) => {
    const sorted = [...(times[index] ?? [])].sort((a, b) => a - b);
    return {
      label: command.label,
      medianMs: quantile(sorted, 0.5),
      p90Ms: quantile(sorted, 0.9),
      minMs: sorted[0] ?? Number.NaN,
      runs: sorted.length,
    };
  });
}
