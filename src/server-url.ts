import { InputError, MISSING_SERVER_URL_MESSAGE } from './errors.js';

/** A registry as the bridge sees it: the normalised key plus what it was made of. */
export interface RegistryKey {
  /** `host[:port][/path]`: what routes match and what providers store under. */
  readonly key: string;
  /** Lower-case host; IPv6 hosts keep their brackets. Docker Hub spellings become `docker.io`. */
  readonly host: string;
  /** Explicit non-default port, or '' */
  readonly port: string;
  /** Path without trailing slashes, or '' (Hub's `/v1` and `/v2` are dropped). */
  readonly path: string;
  /** The ServerURL exactly as the client sent it (after trimming); `get` echoes it. */
  readonly serverURL: string;
}

/** Every spelling of Docker Hub that clients send (CLI, podman/skopeo, BuildKit, Hub web login). */
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
export const DOCKER_HUB_HOST = 'docker.io';

/** The API-version prefix in Hub keys (`https://index.docker.io/v1/`); its sub-paths stay distinct keys. */
const HUB_VERSION_PATH = /^\/v[12](?=\/|$)/;

/**
 * Normalises a ServerURL as clients send it: scheme optional (http/https only), lower-case host,
 * default ports dropped, query and fragment dropped, trailing slashes trimmed, Docker Hub
 * aliases folded into one registry. Throws InputError with the reference helper's wording.
 */
export function normalizeServerUrl(raw: string): RegistryKey {
  const serverURL = raw.trim();
  if (serverURL === '') throw new InputError(MISSING_SERVER_URL_MESSAGE);
  return bareHostKey(serverURL) ?? parseServerUrl(serverURL);
}

/**
 * A plain `host` or `host:port` (what docker and skopeo send for most registries, and most of what
 * a `get` sees), normalised without the WHATWG URL parser, whose first use costs ~0.3 ms of every
 * start. Only forms the parser would leave as they are (lower-cased): DNS labels of letters, digits
 * and inner hyphens, no `xn--` label (the parser checks punycode), a last label that is not a
 * number (the parser reads such hosts as IPv4), a port of 1-65535 without leading zeros. Anything
 * else, undefined: parseServerUrl decides. test/unit/server-url.test.ts checks the two agree.
 */
export function bareHostKey(serverURL: string): RegistryKey | undefined {
  // No /i flag: a case-insensitive regex costs ~0.15 ms more to compile, on every start.
  const match = /^((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))(?::([1-9][0-9]{0,4}))?$/.exec(
    serverURL,
  );
  if (match === null) return undefined;
  const [, rawHost = '', lastLabel = '', rawPort = ''] = match;
  const host = rawHost.toLowerCase();
  if (endsInNumber(lastLabel.toLowerCase()) || host.startsWith('xn--') || host.includes('.xn--') || Number(rawPort) > 65_535)
    return undefined;
  const port = rawPort === '443' ? '' : rawPort;
  const registry = DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB_HOST : host;
  return { key: port === '' ? registry : `${registry}:${port}`, host: registry, port, path: '', serverURL };
}

/** The URL parser's "ends in a number" test for a last label: all digits, or 0x and hex digits. */
function endsInNumber(label: string): boolean {
  const digits = label.startsWith('0x') ? label.slice(2) : label;
  const allowed = label.startsWith('0x') ? '0123456789abcdef' : '0123456789';
  return [...digits].every((c) => allowed.includes(c)) && (digits.length > 0 || label.startsWith('0x'));
}

/** Any other ServerURL, through the WHATWG URL parser. */
export function parseServerUrl(serverURL: string): RegistryKey {
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(serverURL);
  const scheme = schemeMatch?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new InputError(`unsupported scheme: ${scheme}`);
  }

  // WHATWG URL would read `https:///path` as host "path"; Go's parser (the reference) finds no host.
  if (schemeMatch !== null && /^[/\\?#]|^$/.test(serverURL.slice(schemeMatch[0].length))) {
    throw new InputError('no hostname in URL');
  }

  let url: URL;
  try {
    url = new URL(scheme === undefined ? `https://${serverURL}` : serverURL);
  } catch {
    // The WHATWG parser's message echoes the input, which may hold userinfo: keep ours fixed.
    throw new InputError('invalid server URL');
  }
  if (url.hostname === '') throw new InputError('no hostname in URL');
  if (url.username !== '' || url.password !== '') {
    throw new InputError('server URL must not contain a username or password');
  }

  let host = url.hostname;
  let path = url.pathname.replace(/\/+$/, '');
  if (DOCKER_HUB_HOSTS.has(host)) {
    host = DOCKER_HUB_HOST;
    path = path.replace(HUB_VERSION_PATH, '');
  }
  const port = url.port;
  const key = `${host}${port === '' ? '' : `:${port}`}${path}`;
  return { key, host, port, path, serverURL };
}

/** `host[:port]` of a key: what routes match (paths are the provider's business). */
export function hostPort(registry: RegistryKey): string {
  return registry.port === '' ? registry.host : `${registry.host}:${registry.port}`;
}
