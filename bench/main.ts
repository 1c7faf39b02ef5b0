import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startSecretService } from '../test/support/secret-service.js';
import { which } from '../test/support/processes.js';
import { cacheBench } from './cache.js';
import { benchHome } from './home.js';
import { type Command, measure, type Timing } from './measure.js';
import { vaultBench } from './vault.js';

/**
 * Whole-process `get` timings, each as a ratio to `node -e 0` measured in the same run, with
 * NODE_EXTRA_CA_CERTS unset and set (Node 20 parses that bundle at every start). Writes
 * docs/benchmarks.md: the default store and unrouted paths here, then the cache (bench/cache.ts)
 * and a Vault cache miss (bench/vault.ts). BENCH_ONLY=base|cache|vault runs one section.
 */
const ONLY = process.env.BENCH_ONLY;
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const BRIDGE = resolve('dist/docker-credential-bridge.cjs');
const CA_FILE = process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt';
const NOT_FOUND = 'credentials not found in native keychain\n';

if (!existsSync(BRIDGE)) throw new Error('run `npm run build` first');

const root = mkdtempSync(join(tmpdir(), 'bridge-bench-'));
const secrets = await startSecretService();

function home(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return benchHome(root, name, undefined, extra);
}

function bridge(env: Record<string, string>, action: string, stdin: string): string {
  return execFileSync(process.execPath, [BRIDGE, action], { input: stdin, env }).toString();
}

const credential = JSON.stringify({ ServerURL: 'registry.bench.example:5000', Username: 'bench', Secret: 'bench-secret' });

// (a) the default store, no config: OS keychain (a real gnome-keyring on a private bus)…
const keychainHome = home('keychain', { DBUS_SESSION_BUS_ADDRESS: secrets.env.DBUS_SESSION_BUS_ADDRESS ?? '' });
bridge(keychainHome, 'store', credential);
// …and the age-encrypted file, for machines without a keychain. On Linux both are read through a
// copy in the kernel keyring after the first get (docs/local-store.md): the warm-up runs make it.
const fileHome = home('file');
bridge(fileHome, 'store', credential);
// The same two stores with the copy turned off: what the store itself costs (a first get).
const DIRECT = 'providers: {local: {type: local}}\ndefault: {provider: local, cache: false}\n';
const keychainDirectHome = benchHome(root, 'keychain-direct', DIRECT, {
  DBUS_SESSION_BUS_ADDRESS: secrets.env.DBUS_SESSION_BUS_ADDRESS ?? '',
});
const fileDirectHome = benchHome(root, 'file-direct', DIRECT);
bridge(fileDirectHome, 'store', credential);
// (b) an unrouted registry under a config with routes (snapshot warmed by the first run).
const routedHome = home('routed');
mkdirSync(join(routedHome.XDG_CONFIG_HOME ?? '', 'docker-credential-bridge'), { recursive: true, mode: 0o700 });
writeFileSync(
  join(routedHome.XDG_CONFIG_HOME ?? '', 'docker-credential-bridge', 'config.yaml'),
  'providers:\n  local: {type: local}\nroutes:\n  - {match: "registry.corp.example:5000", provider: local}\n  - {match: "*.dkr.ecr.*.amazonaws.com", provider: local}\n',
  { mode: 0o600 },
);
// The reference helper, on the same keyring.
const reference = which('docker-credential-secretservice');
if (reference) {
  execFileSync(reference, ['store'], { input: credential, env: { ...keychainHome } });
}

function commands(ca: string | undefined): Command[] {
  const withCa = (env: Record<string, string>) => ({ ...env, NODE_EXTRA_CA_CERTS: ca });
  const ok = (status: number | null, stdout: string) => status === 0 && stdout.includes('"Secret":"bench-secret"');
  const list: Command[] = [
    { label: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'], env: withCa(home('floor')), expect: (s) => s === 0 },
    {
      label: '(a) get, default store hit: OS keychain',
      argv: [process.execPath, BRIDGE, 'get'],
      stdin: 'registry.bench.example:5000',
      env: withCa(keychainHome),
      expect: ok,
    },
    {
      label: '(a) get, default store hit: age file (no keychain)',
      argv: [process.execPath, BRIDGE, 'get'],
      stdin: 'registry.bench.example:5000',
      env: withCa(fileHome),
      expect: ok,
    },
    {
      label: "(a') the same, kernel-keyring copy off: a Secret Service read",
      argv: [process.execPath, BRIDGE, 'get'],
      stdin: 'registry.bench.example:5000',
      env: withCa(keychainDirectHome),
      expect: ok,
    },
    {
      label: "(a') the same, kernel-keyring copy off: an age file read",
      argv: [process.execPath, BRIDGE, 'get'],
      stdin: 'registry.bench.example:5000',
      env: withCa(fileDirectHome),
      expect: ok,
    },
    {
      label: '(b) get, unrouted registry',
      argv: [process.execPath, BRIDGE, 'get'],
      stdin: 'quay.io',
      env: withCa(routedHome),
      expect: (s, out) => s === 1 && out === NOT_FOUND,
    },
  ];
  list.push({
    label: '@napi-rs/keyring alone: one Secret Service read, no bridge code',
    argv: [process.execPath, resolve('bench/keyring-alone.cjs'), 'docker-credential-bridge', 'registry.bench.example:5000'],
    env: withCa(keychainHome),
    expect: (s, out) => s === 0 && Number(out) > 0,
  });
  if (reference) {
    list.push({
      label: 'docker-credential-secretservice get (reference, Go)',
      argv: [reference, 'get'],
      stdin: 'registry.bench.example:5000',
      env: keychainHome,
      expect: ok,
    });
  }
  return list;
}

const TARGETS: Record<string, number> = {
  '(a) get, default store hit: OS keychain': 1.5,
  '(b) get, unrouted registry': 1.15,
};

function table(title: string, timings: Timing[], applyTargets: boolean): string {
  const floor = timings[0]?.medianMs ?? Number.NaN;
  const rows = timings.map((t) => {
    const ratio = t.medianMs / floor;
    const target = applyTargets ? TARGETS[t.label] : undefined;
    const verdict = target === undefined ? '' : `≤ ${target}× ${ratio <= target ? 'met' : 'NOT met'}`;
    const minRatio = t.minMs / (timings[0]?.minMs ?? Number.NaN);
    return `| ${t.label} | ${t.medianMs.toFixed(1)} | ${t.p90Ms.toFixed(1)} | ${t.minMs.toFixed(1)} | ${ratio.toFixed(2)}× | ${minRatio.toFixed(2)}× | ${verdict} |`;
  });
  return [
    `### ${title}`,
    '',
    '| command | median ms | p90 ms | min ms | × floor (medians) | × floor (minima) | target (medians) |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
  ].join('\n');
}

try {
  const sections: string[] = [];
  if (!ONLY || ONLY === 'base') {
    const unset = measure(commands(undefined), RUNS);
    const set = measure(commands(CA_FILE), RUNS);
    sections.push(
      '## Default store and unrouted registries',
      '',
      'No config: the local store. (a) reads it through its copy in the kernel keyring, as every get',
      "after a registry's first does on Linux; (a') turns the copy off (`cache: false`), which is what",
      'a first get pays. "@napi-rs/keyring alone" is a bare Node script doing one Secret Service read',
      'with the library: the floor under any keychain read from Node.',
      '',
      table('NODE_EXTRA_CA_CERTS unset', unset, true),
      table(`NODE_EXTRA_CA_CERTS=${CA_FILE}`, set, false),
    );
  }
  await secrets.stop();
  if (!ONLY || ONLY === 'cache') sections.push(await cacheBench(RUNS));
  if (!ONLY || ONLY === 'vault') sections.push(await vaultBench(RUNS));
  const node = spawnSync(process.execPath, ['--version']).stdout.toString().trim();
  const report = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/main.ts). Whole-process wall time of one helper call, as',
    'Docker spawns it; commands run round-robin in one run so noise hits all alike; ratios are to',
    '`node -e 0` measured in the same run. Targets apply to medians with NODE_EXTRA_CA_CERTS unset.',
    'This machine (2 shared vCPUs) is noisy: medians of the same command move by ±5% between runs,',
    'so the fastest run ("min") is shown too, as the steadiest view of what a command itself costs.',
    '',
    `Run: ${new Date().toISOString()}, Node ${node}, ${cpus().length} cores, ${RUNS} runs per command (after 3 warm-up runs).`,
    '',
    ...sections,
  ].join('\n');
  mkdirSync('docs', { recursive: true });
  if (!ONLY) writeFileSync('docs/benchmarks.md', report);
  process.stdout.write(`${report}\n`);
} finally {
  // the kernel-keyring copies outlive the homes (the persistent keyring keeps them for days)
  for (const env of [keychainHome, fileHome]) spawnSync(process.execPath, [BRIDGE, 'cache', 'clear'], { env });
  await secrets.stop();
  rmSync(root, { recursive: true, force: true });
}
