import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startOpenBao } from '../test/support/openbao.js';
import { which } from '../test/support/processes.js';
import { makeTempDir, removeTempDir } from '../test/support/temp-dir.js';
import { benchHome } from './home.js';
import { type Command, measure, type Timing } from './measure.js';

const BRIDGE = resolve('dist/docker-credential-bridge.cjs');
const CA_FILE = process.env.NODE_EXTRA_CA_CERTS || '/etc/ssl/certs/ca-certificates.crt';
const REGISTRY = 'registry.bench.example:5000';
const SECRET = 'vault-bench-secret';

/**
 * A cache-miss `get` through the bridge against a real OpenBao (Vault API) dev server, next to a
 * plain HTTP read of the same secret by curl (token on stdin, `-H @-`: never on argv or in a file)
 * and `node -e 0`, all in one run. The bridge's added cost is its median minus curl's. Returns a
 * markdown section (with and without NODE_EXTRA_CA_CERTS, which Node 20 parses at every start).
 */
export async function vaultBench(runs: number): Promise<string> {
  const curl = which('curl');
  if (curl === undefined) throw new Error('vault bench: curl not on PATH');
  const root = makeTempDir('bridge-bench-vault-');
  const bao = await startOpenBao();
  try {
    await bao.apiOk('POST', `secret/data/docker/${REGISTRY}`, { data: { username: 'bench', password: SECRET, server_url: REGISTRY } });
    const secretId = await bao.approle.newSecretId();

    const home = (name: string, config?: string) => benchHome(root, name, config);
    // cache: false: every run is a cache miss that reaches Vault (the bridge's keychain cache is another measurement).
    const tokenHome = {
      ...home('token', 'providers: {vault: {type: vault}}\ndefault: {provider: vault, cache: false}\n'),
      VAULT_ADDR: bao.address,
      VAULT_TOKEN: bao.rootToken,
    };
    const approleHome = {
      ...home('approle', 'providers: {vault: {type: vault, auth: {method: approle}}}\ndefault: {provider: vault, cache: false}\n'),
      VAULT_ADDR: bao.address,
      VAULT_ROLE_ID: bao.approle.roleId,
      VAULT_SECRET_ID: secretId,
    };
    // Warm the config snapshots, so the runs time the hot path.
    for (const env of [tokenHome, approleHome]) spawnSync(process.execPath, [BRIDGE, 'get'], { input: REGISTRY, env });

    const hit = (status: number | null, stdout: string) => status === 0 && stdout.includes(`"Secret":"${SECRET}"`);
    const commands = (ca: string | undefined): Command[] => {
      const withCa = (env: Record<string, string>) => ({ ...env, NODE_EXTRA_CA_CERTS: ca });
      return [
        { label: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'], env: withCa(home('floor')), expect: (s) => s === 0 },
        {
          label: 'curl: plain HTTP read of the secret',
          argv: [curl, '-sf', '-H', '@-', `${bao.address}/v1/secret/data/docker/${REGISTRY}`],
          stdin: `X-Vault-Token: ${bao.rootToken}\n`,
          env: home('curl'),
          expect: (s, out) => s === 0 && out.includes(SECRET),
        },
        {
          label: 'bridge get, cache miss, token auth',
          argv: [process.execPath, BRIDGE, 'get'],
          stdin: REGISTRY,
          env: withCa(tokenHome),
          expect: hit,
        },
        {
          label: 'bridge get, cache miss, AppRole login every time (no keychain)',
          argv: [process.execPath, BRIDGE, 'get'],
          stdin: REGISTRY,
          env: withCa(approleHome),
          expect: hit,
        },
      ];
    };

    const table = (title: string, timings: Timing[]): string => {
      const by = (prefix: string) => timings.find((t) => t.label.startsWith(prefix));
      const floor = by('node -e 0')?.medianMs ?? Number.NaN;
      const plain = by('curl')?.medianMs ?? Number.NaN;
      const rows = timings.map((t) => {
        const added = t.label.startsWith('bridge') ? `${(t.medianMs - plain).toFixed(1)}` : '';
        return `| ${t.label} | ${t.medianMs.toFixed(1)} | ${t.p90Ms.toFixed(1)} | ${(t.medianMs / floor).toFixed(2)}× | ${added} |`;
      });
      return [
        `#### ${title}`,
        '',
        '| command | median ms | p90 ms | × floor | bridge − curl, ms |',
        '|---|---:|---:|---:|---:|',
        ...rows,
        '',
      ].join('\n');
    };

    const unset = measure(commands(undefined), runs);
    const set = measure(commands(CA_FILE), runs);
    return [
      '### Vault (OpenBao dev server, cache miss)',
      '',
      'Whole-process `get` of a KV v2 secret over HTTP on 127.0.0.1, against curl reading the same',
      'secret in the same run (curl is not Node: its column does not move with NODE_EXTRA_CA_CERTS).',
      '"bridge − curl" is what the bridge adds to the backend round trip: Node start, config snapshot,',
      'node-vault (axios) load, and for AppRole the login.',
      '',
      table('NODE_EXTRA_CA_CERTS unset', unset),
      table(`NODE_EXTRA_CA_CERTS=${CA_FILE}`, set),
    ].join('\n');
  } finally {
    await bao.stop();
    await removeTempDir(root);
  }
}
