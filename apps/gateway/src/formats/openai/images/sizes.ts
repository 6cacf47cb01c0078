import { invalidRequest } from '../../../core/errors.js';
import type { ImageCall } from '../../canonical/images.js';

/** "1024x1024" → {width, height}; "auto" or absent → null; anything else is the caller's mistake. */
export function parseSize(size: string | undefined | null): { width: number; height: number } | null {
  if (size === undefined || size === null || size === 'auto') return null;
  const m = /^(\d{1,5})x(\d{1,5})$/.exec(size);
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0)
    throw invalidRequest(`Invalid size '${size}': write it as WIDTHxHEIGHT in pixels, e.g. 1024x1024, or 'auto'.`, 'size', 'invalid_size');
  return { width: Number(m[1]), height: Number(m[2]) };
}

export const sizeText = (s: { width: number; height: number }): string => `${s.width}x${s.height}`;

/** A 400 naming the allowed sizes for the model, so the caller can fix the request in one go. */
export function requireSizeIn(call: ImageCall, allowed: readonly string[], who: string, allowAuto: boolean): void {
  // No size: the provider's default, which is always one it accepts.
  if (call.size === null) return;
  const s = sizeText(call.size);
  if (!allowed.includes(s))
    throw invalidRequest(`The size ${s} is not supported by ${who}. Supported sizes: ${allowed.join(', ')}${allowAuto ? ', auto' : ''}.`, 'size', 'invalid_size');
}

/** A 400 saying the most images one request may ask for. */
export function requireN(call: ImageCall, max: number, who: string): void {
  if (call.n <= max) return;
  const subject = who.charAt(0).toUpperCase() + who.slice(1);
  throw invalidRequest(
    max === 1 ? `${subject} makes one image per request: n must be 1 (got ${call.n}).` : `${subject} makes at most ${max} images per request: n must be between 1 and ${max} (got ${call.n}).`,
    'n',
    'invalid_n',
  );
}
