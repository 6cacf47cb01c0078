import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * The data folder holds the database (password hashes, sealed secrets), the master key and stored
 * images: readable by the gateway's own user only. Folders are 700 and files 600, whatever the
 * process umask, and a folder or file an older version left open is tightened when opened.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir, 0o700);
}

/** Creates the file empty (600) when missing, and makes an existing one 600. */
export function ensurePrivateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  tighten(file, 0o600);
}

/** Makes an existing file 600 (a missing one is left missing). */
export function tightenIfExists(file: string): void {
  if (existsSync(file)) tighten(file, 0o600);
}

function tighten(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode);
  } catch {
    // Not ours to change (a folder owned by another user, a read-only mount): leave it as it is.
  }
}
