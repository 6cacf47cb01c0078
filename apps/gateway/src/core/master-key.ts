import { existsSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { ensurePrivateDir } from './private-files.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { masterKeyFromSecret } from './crypto.js';

/**
 * The key that seals provider secrets: from APIGPT_SECRET when set (required when several
 * processes share one database), otherwise a random key file made once in the data folder, readable
 * only by its owner.
 */
export function loadMasterKey(secret: string | undefined, dataDir: string): { key: Buffer; source: string } {
  if (secret) return { key: masterKeyFromSecret(secret), source: 'APIGPT_SECRET' };
  const file = join(dataDir, 'master.key');
  if (!existsSync(file)) {
    ensurePrivateDir(dataDir);
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
  return { key, source: file };
}
