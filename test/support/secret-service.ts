import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { type BackgroundProcess, missingCommands, run, startBackground, waitFor } from './processes.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

/**
 * A private Secret Service: its own dbus-daemon (socket in a temp dir, never the user's session bus)
 * and a gnome-keyring-daemon whose default "login" collection is created and unlocked at start.
 */
export interface SecretService {
  /** Variables that point a child process (or this process) at the private keyring. */
  env: Record<string, string>;
  /** Locks the login collection (Secret.Service.Lock): reads of secrets then fail. */
  lock(): Promise<void>;
  /** Unlocks it again without any prompt, through gnome-keyring's control socket. */
  unlock(): Promise<void>;
  isLocked(): Promise<boolean>;
  stop(): Promise<void>;
}

const SERVICE = 'org.freedesktop.secrets';
const LOGIN = '/org/freedesktop/secrets/collection/login';

/** Why a private Secret Service cannot run here, or undefined. */
export function secretServiceMissing(): string | undefined {
  return missingCommands('dbus-daemon', 'dbus-send', 'gnome-keyring-daemon');
}

// No <servicedir>: nothing is D-Bus-activatable on this bus, so a locked read can never pop up
// gcr-prompter on a developer's display (it fails at once instead).
function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

async function dbusSend(address: string, args: string[]): Promise<string> {
  const result = await run(['dbus-send', `--bus=${address}`, '--print-reply', `--dest=${SERVICE}`, ...args], {
    timeoutMs: 10_000,
  });
  if (result.code !== 0) throw new Error(`dbus-send ${args.join(' ')}: ${result.stderr.trim()}`);
  return result.stdout;
}

async function loginLocked(address: string): Promise<boolean> {
  const reply = await dbusSend(address, [
    LOGIN,
    'org.freedesktop.DBus.Properties.Get',
    'string:org.freedesktop.Secret.Collection',
    'string:Locked',
  ]);
  if (/boolean true/.test(reply)) return true;
  if (/boolean false/.test(reply)) return false;
  throw new Error(`unexpected Locked reply: ${reply}`);
}

/**
 * gnome-keyring's control socket (what `gnome-keyring-daemon --unlock` talks to a running daemon
 * over): one credentials byte (0; the kernel attaches our uid via SO_PASSCRED), then a packet
 * [u32 BE total length][u32 op = 1 UNLOCK][u32 length][password]. Reply [u32 length][u32 result],
 * result 0 = OK, 1 = DENIED. The Secret Service Unlock method would need a GUI prompt instead.
 */
function controlUnlock(socketPath: string, password: string): Promise<number> {
  const secret = Buffer.from(password, 'utf8');
  const packet = Buffer.alloc(12 + secret.length);
  packet.writeUInt32BE(packet.length, 0);
  packet.writeUInt32BE(1, 4);
  packet.writeUInt32BE(secret.length, 8);
  secret.copy(packet, 12);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ path: socketPath });
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('control socket timed out')));
    socket.on('connect', () => socket.write(Buffer.concat([Buffer.from([0]), packet])));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const reply = Buffer.concat(chunks);
      if (reply.length < 8) reject(new Error(`short reply from gnome-keyring control socket (${reply.length} bytes)`));
      else resolve(reply.readUInt32BE(4));
    });
  });
}

export async function startSecretService(): Promise<SecretService> {
  const root = makeTempDir('bridge-ss-');
  const processes: BackgroundProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const p of processes.reverse()) await p.stop();
    processes.length = 0;
    await removeTempDir(root);
  };
  try {
    const home = join(root, 'home');
    const runtime = join(root, 'run');
    for (const dir of [home, runtime, join(root, 'data'), join(root, 'config'), join(root, 'cache')]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    const configFile = join(root, 'bus.conf');
    await writeFile(configFile, busConfig(join(root, 'bus')));

    const bus = await startBackground(['dbus-daemon', `--config-file=${configFile}`, '--nofork', '--print-address=1']);
    processes.push(bus);
    // dbus-daemon prints its address once it listens ("Failed to set fd limit" on stderr is harmless).
    await waitFor(() => bus.stdout().includes('\n') || bus.exited(), 10_000, 'dbus-daemon address');
    const address = bus.stdout().split('\n')[0]?.trim() ?? '';
    if (bus.exited() || !address.startsWith('unix:')) {
      throw new Error(`dbus-daemon did not start: ${bus.stderr()}`);
    }

    const env: Record<string, string> = {
      DBUS_SESSION_BUS_ADDRESS: address,
      HOME: home,
      XDG_DATA_HOME: join(root, 'data'),
      XDG_CONFIG_HOME: join(root, 'config'),
      XDG_CACHE_HOME: join(root, 'cache'),
      XDG_RUNTIME_DIR: runtime,
    };
    const password = randomBytes(16).toString('hex');
    // --unlock reads the login password from stdin and creates the "login" collection with it;
    // no DISPLAY and no inherited keyring control dir, so it can never attach to the user's keyring.
    const keyring = await startBackground(['gnome-keyring-daemon', '--foreground', '--unlock', '--components=secrets'], {
      env: {
        ...env,
        DISPLAY: undefined,
        WAYLAND_DISPLAY: undefined,
        GNOME_KEYRING_CONTROL: undefined,
      },
      stdin: password,
    });
    processes.push(keyring);
    await waitFor(
      async () => {
        if (keyring.exited()) throw new Error(`gnome-keyring-daemon exited: ${keyring.stderr()}`);
        return (await loginLocked(address)) === false;
      },
      20_000,
      'an unlocked login collection',
    );

    const controlSocket = join(runtime, 'keyring', 'control');
    return {
      env,
      isLocked: () => loginLocked(address),
      async lock() {
        await dbusSend(address, ['/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', `array:objpath:${LOGIN}`]);
        if (!(await loginLocked(address))) throw new Error('login collection still unlocked after Lock');
      },
      async unlock() {
        const result = await controlUnlock(controlSocket, password);
        if (result !== 0) throw new Error(`gnome-keyring refused the unlock (result ${result})`);
        if (await loginLocked(address)) throw new Error('login collection still locked after unlock');
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
