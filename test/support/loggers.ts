import type { Logger } from '../../providers/types.js';

/** A logger that keeps what it was told, for assertions (and so nothing is printed). */
export function quietLogger(): Logger & { notes: string[]; events: string[] } {
  const notes: string[] = [];
  const events: string[] = [];
  return {
    notes,
    events,
    note: (message) => notes.push(message),
    debug: (event, fields) => events.push(`${event} ${JSON.stringify(fields ?? {})}`),
  };
}
