// Shared helpers for the image endpoints: size parsing, seeds, and PNG production.
import { hash32 } from './embed.js';
import { patternPng } from './png.js';

export interface ImageRequest {
  prompt: string;
  width: number;
  height: number;
  /** Concrete seed (random requests get one derived from the prompt, like a real server reports). */
  seed: number;
}

/** "1024x1024" → [1024, 1024]; "auto"/invalid → the fallback. */
export function parseSize(size: unknown, fallback: [number, number]): [number, number] {
  if (typeof size !== 'string') return fallback;
  const m = /^(\d+)\s*[x×*]\s*(\d+)$/i.exec(size.trim());
  return m ? [Number(m[1]), Number(m[2])] : fallback;
}

/** -1, 0 or missing mean "random": pick one deterministically from the prompt so runs repeat. */
export function concreteSeed(seed: unknown, prompt: string, index = 0): number {
  const s = Number(seed);
  if (Number.isInteger(s) && s > 0) return s + index;
  return (hash32(prompt) % 4294967294) + index;
}

export function renderImage(r: ImageRequest, text?: Record<string, string>): Buffer {
  return patternPng(r.width, r.height, r.prompt, r.seed, text);
}
