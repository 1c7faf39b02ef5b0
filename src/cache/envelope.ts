import type { CachePolicy } from '../config/types.js';

/**
 * What one cache entry holds: a small versioned JSON value in the keychain. Times are epoch ms.
 * A negative entry remembers a backend "not found" and holds no credential.
 */
export const ENVELOPE_VERSION = 1;

export interface Envelope {
  readonly v: typeof ENVELOPE_VERSION;
  readonly fetchedAt: number;
  /** Before this, the entry is served with no backend call. */
  readonly refreshAfter: number;
  /** Never served at or after this. */
  readonly expiresAt: number;
  /** The provider's name in the config that answered. */
  readonly source: string;
  /** Absent for a negative entry. */
  readonly credential?: { readonly username: string; readonly secret: string };
}

/**
 * fresh: serve, no backend call. refresh: ask the backend; on failure serve it if `staleOk`.
 * A missing or expired entry is not a state: it is no entry.
 */
export type Freshness = { readonly state: 'fresh' } | { readonly state: 'refresh'; readonly staleOk: boolean };

/**
 * Lifetime L = min(ttl, backend expiry − fetchedAt); refresh after L/2. Undefined when the backend's
 * expiry leaves nothing worth caching (already expired, or under a second).
 */
export function makeEnvelope(
  source: string,
  credential: { readonly username: string; readonly secret: string; readonly expiresAt?: number } | undefined,
  policy: CachePolicy,
  now: number,
): Envelope | undefined {
  if (credential === undefined) {
    if (policy.negativeTtlMs <= 0) return undefined;
    const expiresAt = now + policy.negativeTtlMs;
    return { v: ENVELOPE_VERSION, fetchedAt: now, refreshAfter: expiresAt, expiresAt, source };
  }
  const lifetime = Math.min(policy.ttlMs, credential.expiresAt === undefined ? Number.POSITIVE_INFINITY : credential.expiresAt - now);
  if (!(lifetime >= 1000)) return undefined;
  return {
    v: ENVELOPE_VERSION,
    fetchedAt: now,
    refreshAfter: now + Math.floor(lifetime / 2),
    expiresAt: now + lifetime,
    source,
    credential: { username: credential.username, secret: credential.secret },
  };
}

/** Parses an entry's value; anything unexpected (another version, a torn value) is no entry. */
export function parseEnvelope(text: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  if (e.v !== ENVELOPE_VERSION || typeof e.source !== 'string') return undefined;
  for (const time of [e.fetchedAt, e.refreshAfter, e.expiresAt]) if (typeof time !== 'number' || !Number.isFinite(time)) return undefined;
  if (e.credential !== undefined) {
    const c = e.credential as Record<string, unknown> | null;
    if (typeof c !== 'object' || c === null || typeof c.username !== 'string' || typeof c.secret !== 'string') return undefined;
  }
  return value as Envelope;
}

/**
 * The entry's times under the route's current policy: a TTL shortened in the config applies to
 * entries written before the change, so the config, not the entry, has the last word.
 */
export function effectiveTimes(envelope: Envelope, policy: CachePolicy): { refreshAfter: number; expiresAt: number } {
  const limit = envelope.credential === undefined ? policy.negativeTtlMs : policy.ttlMs;
  const expiresAt = Math.min(envelope.expiresAt, envelope.fetchedAt + limit);
  const refreshAfter =
    envelope.credential === undefined ? expiresAt : Math.min(envelope.refreshAfter, envelope.fetchedAt + Math.floor(limit / 2));
  return { refreshAfter, expiresAt };
}

/** How an entry may be used now; undefined when it must not be served at all. */
export function freshness(envelope: Envelope, policy: CachePolicy, now: number): Freshness | undefined {
  // A fetchedAt in the future means the clock moved back: the entry's age is unknown, so it is not trusted.
  if (envelope.fetchedAt > now + 60_000) return undefined;
  const { refreshAfter, expiresAt } = effectiveTimes(envelope, policy);
  if (now >= expiresAt) return undefined;
  if (now < refreshAfter) return { state: 'fresh' };
  const staleOk = envelope.credential !== undefined && (policy.staleIfErrorMs === undefined || now < refreshAfter + policy.staleIfErrorMs);
  return { state: 'refresh', staleOk };
}
