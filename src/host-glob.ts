import type { HostMatcher } from './config/types.js';
import type { RegistryKey } from './server-url.js';

/**
 * Matching side of host globs (the compiling side is src/config/compile-glob.ts, loaded only when
 * a config is compiled). Hosts are matched with dots read as `/`, so glob semantics for paths
 * apply per label: `*.example.com` matches `a.example.com` but not `a.b.example.com`.
 */
const compiled = new Map<string, RegExp>();

function regex(source: string): RegExp {
  let re = compiled.get(source);
  if (re === undefined) {
    re = new RegExp(source);
    compiled.set(source, re);
  }
  return re;
}

export function hostMatches(matcher: HostMatcher, registry: RegistryKey): boolean {
  if (matcher.any) return true;
  if (!regex(matcher.host).test(registry.host.replaceAll('.', '/'))) return false;
  return matcher.port === undefined || regex(matcher.port).test(registry.port);
}
