import { spawnSync } from 'node:child_process';
import { chownSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BRIDGE_COMMAND, BridgeHome } from '../support/bridge.js';
import { describeIntegration } from '../support/integration.js';
import { type OpenBao, openbaoMissing, startOpenBao } from '../support/openbao.js';
import { missingCommands, run } from '../support/processes.js';
import { credentialLine, keyctlMissing, putSecret, readsOf, vaultConfig } from './support.js';

/**
 * A full keyutils quota (20,000 bytes per non-root user): the helper runs as `nobody`, whose
 * persistent keyring is filled up first. The write fails with QuotaExceeded, nothing expired can
 * be pruned, and with no Secret Service either, every get goes to the backend — and still works.
 */
const nobody = (() => {
  const uid = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' });
  return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout), gid: Number(gid.stdout) } : undefined;
})();
const missing =
  openbaoMissing() ??
  keyctlMissing() ??
  missingCommands('runuser') ??
  (process.getuid?.() !== 0 ? 'runs the helper as nobody, which needs root' : undefined) ??
  (nobody === undefined ? 'no user "nobody"' : undefined);

/** Runs `argv` as nobody in a fresh session keyring, with the test's environment (-p: HOME and the rest kept). */
function asNobody(argv: string[], options: { stdin?: string; env?: Record<string, string | undefined> } = {}) {
  return run(['runuser', '-p', '-u', 'nobody', '--', 'keyctl', 'session', '-', ...argv], {
    stdin: options.stdin ?? '',
    env: options.env,
    timeoutMs: 60_000,
  }).then((r) => ({ ...r, stderr: r.stderr.replace(/^Joined session keyring: \d+\n/m, '') }));
}

// Fills what is left of nobody's quota with one key in its persistent keyring (the largest that fits),
// named for this run so that a concurrent run's cleanup leaves it alone.
const FILLER = `bridge-test-quota-filler-${process.pid}`;
const FILL = `P=$(keyctl get_persistent @s) || exit 1
for n in 19800 19000 18000 16000 12000 8000 4000 2000 1000 500 250 120 60 30; do
  head -c "$n" /dev/zero | keyctl padd user "$FILLER" "$P" >/dev/null 2>&1 && exit 0
done
exit 0`;
const UNFILL = `P=$(keyctl get_persistent @s) || exit 0
for id in $(keyctl rlist "$P" 2>/dev/null); do
  case "$(keyctl rdescribe "$id" 2>/dev/null)" in *";$FILLER") keyctl unlink "$id" "$P" >/dev/null 2>&1 ;; esac
done`;

let bao: OpenBao | undefined;
const server = (): OpenBao => {
  if (bao === undefined) throw new Error('OpenBao not started');
  return bao;
};
const home = new BridgeHome();
const env = () => home.env({ VAULT_TOKEN: server().rootToken });
const get = (serverURL: string) => asNobody([...BRIDGE_COMMAND, 'get'], { stdin: serverURL, env: env() });

describeIntegration('a full keyutils quota (helper as nobody)', missing, () => {
  beforeAll(async () => {
    bao = await startOpenBao();
    home.writeConfig(vaultConfig(server(), 'routes: [{match: "*.quota.test", provider: corp}]\n'));
    // The helper runs as nobody: its home must be nobody's, as a real user's is.
    const owner = nobody ?? { uid: 0, gid: 0 };
    const walk = (dir: string): string[] => [
      dir,
      ...readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])),
    ];
    for (const path of walk(home.dir)) chownSync(path, owner.uid, owner.gid);
    const filled = await asNobody(['sh', '-c', FILL], { env: { FILLER } });
    expect(filled.code).toBe(0);
  });
  afterAll(async () => {
    await asNobody(['sh', '-c', UNFILL], { env: { FILLER } });
    await bao?.stop();
    home.remove();
  });

  it('get still answers, from the backend every time, with nothing on stderr', async () => {
    await putSecret(server(), 'full.quota.test', 'q', 'quota-secret');
    for (let i = 0; i < 2; i++)
      expect(await get('full.quota.test')).toMatchObject({
        code: 0,
        stdout: credentialLine('full.quota.test', 'q', 'quota-secret'),
        stderr: '',
      });
    expect(readsOf(server(), 'full.quota.test')).toBe(2);
    // And it was the quota that kept the entry out (debug output names the store's failure).
    const debug = await asNobody([...BRIDGE_COMMAND, 'get'], {
      stdin: 'full.quota.test',
      env: { ...env(), DOCKER_CREDENTIAL_BRIDGE_DEBUG: '1' },
    });
    expect(debug.code).toBe(0);
    expect(debug.stderr).toMatch(/debug cache\.store-failed store=keyutils reason=.*QuotaExceeded/);
    expect(debug.stderr).not.toContain('quota-secret');
  });

  it('doctor names the quota', async () => {
    const doctor = await asNobody([...BRIDGE_COMMAND, 'doctor'], { env: env() });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(
      /^ {2}keyutils \(Linux kernel keyring\)\s+unusable: .*QuotaExceeded.*: the per-user kernel key quota is full/m,
    );
    expect(doctor.stdout).toMatch(/^cache:\s+WARNING unusable here/m);
    expect(statSync(home.dir).uid).toBe(nobody?.uid);
  });
});
