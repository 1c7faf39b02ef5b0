import picomatch from 'picomatch';
import { DOCKER_HUB_HOST } from '../server-url.js';
import type { HostMatcher } from './types.js';

/**
 * Compiles a host glob from the config into RegExp sources (the hot path only runs them).
 * Hosts are matched with dots read as `/`: `*` stays within one label, `**` spans labels.
 * A pattern without a port matches the host on any port; with one (`reg.corp:5000`, `localhost:*`)
 * only that port. Routing picks a backend; the credential key inside it still includes the port.
 */
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const HOST_GLOB = /^[a-z0-9.*?{},[\]!-]+$/;
const PORT_GLOB = /^[0-9*?{},[\]-]+$/;

export function compileHostGlob(raw: string): HostMatcher {
  const pattern = raw.trim().toLowerCase();
  if (pattern === '*' || pattern === '**') return { host: '', port: undefined, any: true };
  if (pattern.includes('/')) throw new Error('a host glob has no scheme or path (write ghcr.io, not https://ghcr.io/)');

  let host: string;
  let port: string | undefined;
  if (pattern.startsWith('[')) {
    // IPv6 literal: matched exactly, since its brackets would read as a glob class.
    const close = pattern.indexOf(']');
    if (close < 0) throw new Error('unclosed [ in IPv6 host');
    host = pattern.slice(0, close + 1);
    const rest = pattern.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new Error('expected :port after an IPv6 host');
    port = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = pattern.lastIndexOf(':');
    host = colon < 0 ? pattern : pattern.slice(0, colon);
    port = colon < 0 ? undefined : pattern.slice(colon + 1);
    if (!HOST_GLOB.test(host)) throw new Error('a host glob may hold letters, digits, - . and the glob characters * ? [ ] { } , !');
  }
  if (port !== undefined && !PORT_GLOB.test(port)) throw new Error('a port must be digits or a glob of digits');

  let hostSource: string;
  if (host.startsWith('[')) hostSource = `^${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  else if (host === '*' || host === '**') hostSource = '^.*$';
  else hostSource = picomatch.makeRe(HUB_ALIASES.has(host) ? DOCKER_HUB_HOST.replaceAll('.', '/') : host.replaceAll('.', '/')).source;
  const portSource = port === undefined || port === '*' ? undefined : picomatch.makeRe(port).source;
  return { host: hostSource, port: portSource, any: false };
}
