import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BackgroundProcess, freePort, missingCommands, runOk, startBackground, waitFor } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

export interface Registry {
  /** `127.0.0.1:PORT`, the form clients use as registry key. */
  host: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** htpasswd users (bcrypt). Empty: the registry allows anonymous pull and push. */
  users: Record<string, string>;
}

/** Why a registry fixture cannot run here, or undefined. */
export function registryMissing(): string | undefined {
  return missingCommands('docker-registry', 'htpasswd');
}

/** Distribution v2 accepts only bcrypt entries; passwords go to `htpasswd -i` on stdin, never argv. */
async function writeHtpasswd(file: string, users: Record<string, string>): Promise<void> {
  let first = true;
  for (const [user, password] of Object.entries(users)) {
    await runOk(['htpasswd', first ? '-ciB' : '-iB', file, user], { stdin: password });
    first = false;
  }
}

async function v2Status(host: string): Promise<number> {
  const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.status;
}

/** Debian's docker-registry on 127.0.0.1:random with filesystem storage in a temp dir. */
export async function startRegistry(options: RegistryOptions): Promise<Registry> {
  const root = makeTempDir('bridge-registry-');
  let server: BackgroundProcess | undefined;
  const stop = async (): Promise<void> => {
    await server?.stop();
    server = undefined;
    await removeTempDir(root);
  };
  try {
    const withAuth = Object.keys(options.users).length > 0;
    const htpasswd = join(root, 'htpasswd');
    if (withAuth) await writeHtpasswd(htpasswd, options.users);
    await mkdir(join(root, 'storage'));
    const expected = withAuth ? 401 : 200;

    // freePort can race with another process binding the port: retry with a fresh one.
    for (let attempt = 1; ; attempt++) {
      const host = `127.0.0.1:${await freePort()}`;
      // JSON is valid YAML, and quotes the temp paths safely.
      const config = {
        version: 0.1,
        log: { level: 'warn', accesslog: { disabled: true } },
        storage: { filesystem: { rootdirectory: join(root, 'storage') }, delete: { enabled: true } },
        http: { addr: host, secret: randomBytes(16).toString('hex') },
        ...(withAuth ? { auth: { htpasswd: { realm: 'bridge-test', path: htpasswd } } } : {}),
      };
      const configFile = join(root, 'config.yml');
      await writeFile(configFile, JSON.stringify(config, null, 2));
      const candidate = await startBackground(['docker-registry', 'serve', configFile]);
      server = candidate;
      try {
        await waitFor(
          async () => {
            if (candidate.exited()) throw new Error(`docker-registry exited: ${candidate.stderr()}`);
            return (await v2Status(host)) === expected;
          },
          20_000,
          `docker-registry /v2/ answering ${expected}`,
        );
        return { host, stop };
      } catch (error) {
        await candidate.stop();
        server = undefined;
        if (attempt >= 3) throw error;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
}
