import type { BridgeConfig, RouteConfig } from './config/types.js';
import { hostMatches } from './host-glob.js';
import type { RegistryKey } from './server-url.js';

export interface RouteMatch {
  readonly route: RouteConfig;
  /** The pattern that matched, as written (`*` for the default route). */
  readonly pattern: string;
}

/** Ordered rules, first match wins, then the optional default. undefined: unrouted. */
export function matchRoute(config: BridgeConfig, registry: RegistryKey): RouteMatch | undefined {
  for (const route of config.routes) {
    const index = route.matchers.findIndex((matcher) => hostMatches(matcher, registry));
    if (index >= 0) return { route, pattern: route.match[index] ?? '' };
  }
  return config.defaultRoute === undefined ? undefined : { route: config.defaultRoute, pattern: '*' };
}
