import { isUtf8 } from 'node:buffer';
import { BridgeError, InputError, MISSING_SERVER_URL_MESSAGE, MISSING_USERNAME_MESSAGE, NOT_FOUND_MESSAGE } from './errors.js';
import { goJsonStringify } from './go-json.js';
import type { Resolver } from './resolver.js';

/**
 * The four credential verbs of the docker-credential-helpers protocol, over byte streams.
 * stdout gets only the payload; every failure is thrown as a BridgeError whose message the
 * caller prints on stdout (that is where clients read it).
 */
export const PROTOCOL_ACTIONS = ['store', 'get', 'erase', 'list'] as const;
export type ProtocolAction = (typeof PROTOCOL_ACTIONS)[number];

export function isProtocolAction(action: string): action is ProtocolAction {
  return (PROTOCOL_ACTIONS as readonly string[]).includes(action);
}

/** Largest stdin we accept: far above any real credential (a 64 KiB+ token fits), far below harm. */
export const MAX_INPUT_BYTES = 1024 * 1024;

export interface ProtocolIO {
  /** All of stdin, or throws InputError past MAX_INPUT_BYTES. */
  readInput(): Buffer;
  write(text: string): void;
}

export async function runProtocolAction(action: ProtocolAction, io: ProtocolIO, resolver: Resolver): Promise<void> {
  switch (action) {
    case 'store': {
      const credential = parseStoreInput(decodeInput(io.readInput()));
      await resolver.store(credential);
      return;
    }
    case 'get': {
      const serverURL = decodeInput(io.readInput()).trim();
      const found = await resolver.get(serverURL);
      if (found === undefined) throw new BridgeError(NOT_FOUND_MESSAGE);
      io.write(`${goJsonStringify({ ServerURL: found.serverURL, Username: found.username, Secret: found.secret })}\n`);
      return;
    }
    case 'erase': {
      await resolver.erase(decodeInput(io.readInput()).trim());
      return;
    }
    case 'list': {
      // stdin holds the literal "unused": never read, so a terminal user is not left waiting.
      const entries = await resolver.list();
      const sorted = [...entries.values()].sort((a, b) => (a.serverURL < b.serverURL ? -1 : a.serverURL > b.serverURL ? 1 : 0));
      const out: Record<string, string> = {};
      for (const entry of sorted) out[entry.serverURL] = entry.username;
      io.write(`${goJsonStringify(out)}\n`);
      return;
    }
  }
}

/**
 * stdin as text, refused unless it is valid UTF-8 (a leading BOM dropped, as TextDecoder does).
 * `isUtf8` is a single native check; a fatal TextDecoder costs ~0.2 ms of every start to set up.
 */
function decodeInput(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new InputError('stdin is not valid UTF-8');
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return (bom ? bytes.subarray(3) : bytes).toString('utf8');
}

/** Go's encoding/json matches field names case-insensitively, preferring an exact match. */
function field(object: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}

function stringField(object: Record<string, unknown>, name: string): string {
  const value = field(object, name);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new InputError(`store input: ${name} must be a string`);
  return value;
}

export function parseStoreInput(text: string): { serverURL: string; username: string; secret: string } {
  if (text.trim() === '') throw new InputError('store expects a JSON object on stdin ({"ServerURL","Username","Secret"}); got nothing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input, which holds the secret: keep ours fixed.
    throw new InputError('store input is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError('store input must be a JSON object with ServerURL, Username and Secret');
  }
  const object = parsed as Record<string, unknown>;
  const serverURL = stringField(object, 'ServerURL');
  const username = stringField(object, 'Username');
  const secret = stringField(object, 'Secret');
  if (serverURL.trim() === '') throw new InputError(MISSING_SERVER_URL_MESSAGE);
  if (username === '') throw new InputError(MISSING_USERNAME_MESSAGE);
  return { serverURL: serverURL.trim(), username, secret };
}
