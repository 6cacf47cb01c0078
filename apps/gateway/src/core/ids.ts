import { randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Uniform random base62 string (rejection-free: randomInt is unbiased). */
export function base62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(62)];
  return out;
}

// Ids are made on every relayed call; drawing randomness from the OS 4 KiB at a time instead of
// 8 bytes at a time takes them off the profile.
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let offset = 0;

function random8(): string {
  if (offset + 8 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + 8);
  offset += 8;
  return hex;
}

/** Sortable, prefixed id: time (ms, base36) then 64 random bits, e.g. `usr_lx8k2f9a3b1c...`. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${random8()}`;
}
