import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { Script } from 'node:vm';
import { APP_NAME, cacheDir } from './paths.js';
import { VERSION } from './version.js';

/**
 * The installed bin. Docker starts the helper for every pull, and compiling the helper's own files
 * (lazily, function by function as the run reaches them) is the biggest part of its start-up after
 * Node's. So the helper (bridge-main.cjs) and each lazy module it requires (bridge-*.cjs) are
 * compiled with a V8 code cache kept in the user's cache dir, written at the exit of the first
 * run that loads them, when it holds every function that run compiled.
 *
 * A cache is only used when it was made for exactly that file, this V8 and this architecture (V8
 * itself checks little more than the source length), and only when nobody but the user could have
 * written it: it is code. Any problem with it means a plain compile, never a failure.
 */
const MAIN = join(__dirname, 'bridge-main.cjs');
const LAZY_PREFIX = './bridge-';
const nodeRequire = createRequire(MAIN);
const codeCacheDir = join(cacheDir(process.env), 'code-cache');
const loaded = new Map<string, { exports: unknown }>();
const unwritten: Array<{ file: string; key: string; script: Script }> = [];

function cacheFile(file: string): string {
  return join(codeCacheDir, `${basename(file, '.cjs')}.bin`);
}

function cacheKey(file: string): string {
  const stats = statSync(file);
  return [VERSION, stats.size, stats.mtimeMs, stats.ino, process.versions.v8, process.arch].join(':');
}

/** The V8 data made for `key`, if any and if trusted. File layout: key, NUL, V8 data. */
function readCodeCache(file: string, key: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(cacheFile(file), 'r');
  } catch {
    return undefined;
  }
  try {
    const stats = fstatSync(fd);
    const uid = process.getuid?.();
    if (uid !== undefined && (stats.uid !== uid || (stats.mode & 0o077) !== 0)) return undefined;
    const content = readFileSync(fd);
    const end = content.indexOf(0);
    if (end < 0 || content.toString('latin1', 0, end) !== key) return undefined;
    return content.subarray(end + 1);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Written beside itself and renamed into place: a reader sees the old file or the new one, whole. */
function writeCodeCache(file: string, key: string, data: Buffer): void {
  const target = cacheFile(file);
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    mkdirSync(codeCacheDir, { recursive: true, mode: 0o700 });
    writeFileSync(temporary, Buffer.concat([Buffer.from(`${key}\0`, 'latin1'), data]), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, target);
  } catch {
    // A read-only or full disk costs only the speed-up.
    try {
      rmSync(temporary, { force: true });
    } catch {
      // nothing was written
    }
  }
}

/** Our own bundle files through the code cache; anything else (node:*, the keyring binding) as usual. */
function bridgeRequire(id: string): unknown {
  return id.startsWith(LAZY_PREFIX) ? load(join(__dirname, id.slice(2))) : nodeRequire(id);
}

function load(file: string): unknown {
  const done = loaded.get(file);
  if (done !== undefined) return done.exports;
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    process.stderr.write(`${APP_NAME}: internal error: cannot read ${file}; reinstall the package\n`);
    process.exit(1);
  }
  let key: string | undefined;
  try {
    key = cacheKey(file);
  } catch {
    key = undefined;
  }
  const cachedData = key === undefined ? undefined : readCodeCache(file, key);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (key !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) unwritten.push({ file, key, script });
  const module = { exports: {} };
  loaded.set(file, module);
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, bridgeRequire, module, file, __dirname);
  return module.exports;
}

process.once('exit', () => {
  // At exit each cache holds every function this run compiled, not just the top level.
  for (const { file, key, script } of unwritten) writeCodeCache(file, key, script.createCachedData());
});
load(MAIN);
