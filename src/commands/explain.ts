import { CredentialCache } from '../cache/cache.js';
import { effectiveTimes } from '../cache/envelope.js';
import { formatAge } from '../cache/format.js';
import { cacheIdOf } from '../cache/identity.js';
import { cacheAccount } from '../cache/records.js';
import { cacheState, describeCacheState, describePolicy, routeStoreSetting, whyUncached } from '../cache/status.js';
import { loadConfig } from '../config/load.js';
import type { RouteConfig } from '../config/types.js';
import { conventionVarNames, DOCKER_AUTH_CONFIG } from '../env-lookup.js';
import { UsageError } from '../errors.js';
import { cacheDir, type Env } from '../paths.js';
import { matchRoute } from '../routes.js';
import { normalizeServerUrl, type RegistryKey } from '../server-url.js';
import type { BridgeConfig } from '../config/types.js';

/**
 * `explain <server-url>`: how a registry would be served — its key, the rule that matches and
 * why, the provider, cache state and the exact environment variables consulted. It reports
 * whether variables are set, never their values, and makes no backend call.
 */
export async function run(args: string[], env: Env): Promise<number> {
  if (args.length !== 1 || args[0] === undefined) throw new UsageError('explain takes exactly one server URL', { exitCode: 2 });
  const registry = normalizeServerUrl(args[0]);
  const { config, origin } = await loadConfig(env);
  const match = matchRoute(config, registry);
  const lines: string[] = [];
  const add = (label: string, value: string) => lines.push(`${`${label}:`.padEnd(14)}${value}`);

  add('server URL', registry.serverURL);
  add('registry key', registry.key);
  add(
    'config',
    config.source === undefined
      ? 'none found: built-in default (everything goes to the local store)'
      : `${config.source} (${origin === 'snapshot' ? 'compiled snapshot is current' : 'compiled now'})`,
  );

  for (const route of config.routes) {
    if (route === match?.route) break;
    add('skipped', `${route.label} match ${route.match.map((m) => JSON.stringify(m)).join(', ')}: no pattern fits ${registry.key}`);
  }
  if (match === undefined) {
    add('route', 'none: no rule matches and there is no default, so `get` answers not found with no backend call');
  } else {
    add('route', `${match.route.label}: ${routeReason(match.route, match.pattern, registry.key)}`);
    const provider = config.providers[match.route.provider];
    add('provider', `${match.route.provider} (type ${provider?.type ?? 'unknown'})`);
    add('write', writeLine(match.route));
    add('on error', match.route.onError === 'fail' ? 'fail: `get` exits 1 with the reason' : 'not-found: clients go on anonymously');
    add('deadline', `${match.route.timeoutMs} ms per provider call`);
  }
  for (const [label, value] of await cacheLines(config, match?.route, registry, env)) add(label, value);

  if (!config.envLookup) {
    add('environment', 'lookup disabled (env.lookup: false)');
  } else {
    add('environment', 'consulted first, in this order:');
    if (match?.route.env) {
      lines.push(`  1. route mapping   ${varState(env, match.route.env.username)}, ${varState(env, match.route.env.password)}`);
    } else {
      lines.push('  1. route mapping   none configured');
    }
    const hasAuthConfig = env[DOCKER_AUTH_CONFIG] !== undefined && env[DOCKER_AUTH_CONFIG] !== '';
    lines.push(`  2. ${DOCKER_AUTH_CONFIG} ${hasAuthConfig ? 'set' : 'unset'}`);
    const names = conventionVarNames(registry);
    lines.push(`  3. convention      ${varState(env, names.username)}, ${varState(env, names.password)}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** The cache's real state for this registry: where entries go here (probed), the times, and the entry now. */
async function cacheLines(
  config: BridgeConfig,
  route: RouteConfig | undefined,
  registry: RegistryKey,
  env: Env,
): Promise<Array<[string, string]>> {
  if (route === undefined) return [['cache', 'not used (no route)']];
  if (route.cache === undefined) return [['cache', whyUncached(config, route.provider)]];
  const dir = cacheDir(env);
  const setting = routeStoreSetting(config, route.cache);
  const state = await cacheState(setting, env, dir);
  const lines: Array<[string, string]> = [
    ['cache', describeCacheState(state)],
    ['cache policy', describePolicy(route.cache)],
  ];
  if (state.store === undefined) return lines;
  const cache = new CredentialCache(setting, env, dir, { note() {}, debug() {} });
  const account = cacheAccount(cacheIdOf(route.provider, config.providers[route.provider], env), registry.key);
  const entry = await cache.read(account, route.timeoutMs);
  if (entry === undefined) {
    lines.push(['cache entry', 'none: the next get asks the provider']);
    return lines;
  }
  const now = Date.now();
  const { refreshAfter, expiresAt } = effectiveTimes(entry.envelope, route.cache);
  const kind = entry.envelope.credential === undefined ? 'not-found' : 'credential';
  const age = `fetched ${formatAge(now - entry.envelope.fetchedAt)} ago`;
  let when: string;
  if (now >= expiresAt) when = 'expired: the next get asks the provider';
  else if (now < refreshAfter)
    when = `fresh: served with no backend call for ${formatAge(refreshAfter - now)} more, expires in ${formatAge(expiresAt - now)}`;
  else when = `due for refresh: the next get asks the provider (expires in ${formatAge(expiresAt - now)})`;
  lines.push(['cache entry', `${kind} in ${entry.store}, ${age}; ${when}`]);
  return lines;
}

function routeReason(route: RouteConfig, pattern: string, key: string): string {
  if (route.label === 'default') return 'no rule matched, so the default route applies';
  const others = route.match.filter((m) => m !== pattern);
  return `pattern ${JSON.stringify(pattern)} fits ${key}${others.length ? ` (other patterns: ${others.join(', ')})` : ''}; first match wins`;
}

function writeLine(route: RouteConfig): string {
  switch (route.write) {
    case undefined:
      return 'default: forward to the provider, or ignore with a note if it is read-only';
    case 'forward':
      return 'forward: store/erase go to the provider';
    case 'ignore':
      return 'ignore: store/erase succeed without writing (a note on stderr)';
    case 'refuse':
      return 'refuse: store/erase fail';
  }
}

function varState(env: Env, name: string): string {
  return `${name} (${env[name] === undefined ? 'unset' : 'set'})`;
}
