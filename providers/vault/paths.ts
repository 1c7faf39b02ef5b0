/**
 * Registry key ⇄ secret path, reversibly, so `list` can give the keys back and a human finds
 * `docker/ghcr.io` or `docker/docker.io/access-token` in Vault's own UI.
 *
 * The key (`host[:port][/path]`) fills `{registry}` segment for segment. Only `%` and `/` are
 * escaped (`%25`, `%2F`), so ordinary keys read as written. A key whose path has an empty or a
 * dot segment (`host//x`) cannot be spelled as separate segments (Vault would clean the path), so
 * it becomes one segment with its slashes escaped. Decoding unescapes; a path that does not
 * encode back to itself is not ours and is ignored.
 */
import { normalizeServerUrl } from '../../src/server-url.js';

export const REGISTRY_PLACEHOLDER = '{registry}';

export interface PathTemplate {
  /** Everything before `{registry}`: '' or ending in '/'. Also the directory `list` walks. */
  readonly prefix: string;
  /** Everything after `{registry}`: '' or starting with '/'. */
  readonly suffix: string;
}

/** The options schema has already checked the shape; this splits it. */
export function parseTemplate(template: string): PathTemplate {
  const at = template.indexOf(REGISTRY_PLACEHOLDER);
  if (at < 0) throw new Error(`path template ${JSON.stringify(template)} has no ${REGISTRY_PLACEHOLDER}`);
  return { prefix: template.slice(0, at), suffix: template.slice(at + REGISTRY_PLACEHOLDER.length) };
}

const escapeSegment = (segment: string): string => segment.replaceAll('%', '%25').replaceAll('/', '%2F');
const unescapeSegment = (segment: string): string => segment.replace(/%2F|%25/gi, (m) => (m === '%25' ? '%' : '/'));

/** The key as path segments under the template (unescaped form only in the one-segment fallback). */
export function encodeKey(key: string): string {
  const parts = key.split('/');
  const plain = parts.every((part) => part !== '' && part !== '.' && part !== '..');
  return plain ? parts.map(escapeSegment).join('/') : escapeSegment(key);
}

export function decodeKey(encoded: string): string {
  return encoded.split('/').map(unescapeSegment).join('/');
}

/** Secret path (relative to the mount) for a registry key. */
export function secretPath(template: PathTemplate, key: string): string {
  return `${template.prefix}${encodeKey(key)}${template.suffix}`;
}

/**
 * The registry key a secret path stands for, or undefined when the path is not one this
 * template writes (a hand-made secret beside ours, or a key that is not a normalised one).
 */
export function registryKeyOf(template: PathTemplate, path: string): string | undefined {
  if (!path.startsWith(template.prefix) || !path.endsWith(template.suffix)) return undefined;
  const middle = path.slice(template.prefix.length, path.length - template.suffix.length);
  if (middle === '') return undefined;
  const key = decodeKey(middle);
  if (encodeKey(key) !== middle) return undefined;
  try {
    return normalizeServerUrl(key).key === key ? key : undefined;
  } catch {
    return undefined;
  }
}

/** Each segment percent-encoded for the HTTP request line; Vault decodes it back to `path`. */
export function toUrlPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
