import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The file store's names, apart from its code: checking for the file must not load age. */
export const DATA_FILE = 'credentials.age';
export const IDENTITY_FILE = 'identity.txt';

export function dataFilePath(dir: string): string {
  return join(dir, DATA_FILE);
}

export function dataFileExists(dir: string): boolean {
  return existsSync(dataFilePath(dir));
}
