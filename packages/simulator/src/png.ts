// A dependency-free PNG encoder (8-bit RGB, zlib from node:zlib) and the seeded pattern the
// image endpoints return. Real PNG files, so clients and tests can decode what they receive.
import { deflateSync } from 'node:zlib';
import { hash32, prng } from './embed.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

/**
 * Encodes RGB pixels (width*height*3 bytes, row-major) as a PNG. `text` entries become tEXt
 * chunks (A1111 stores its generation parameters this way).
 */
export function encodePng(width: number, height: number, rgb: Uint8Array, text: Record<string, string> = {}): Buffer {
  if (rgb.length !== width * height * 3) throw new Error('pixel buffer size does not match width*height*3');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const stride = width * 3;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None for every scanline
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  for (const [k, v] of Object.entries(text)) parts.push(chunk('tEXt', Buffer.from(`${k}\0${v}`, 'latin1')));
  // Level 1: these images compress well anyway and the benchmark cares about latency.
  parts.push(chunk('IDAT', deflateSync(raw, { level: 1 })), chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Reads width/height back from a PNG's IHDR; null when the bytes are not a PNG. */
export function readPngSize(png: Uint8Array): { width: number; height: number } | null {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  if (b.length < 33 || !b.subarray(0, 8).equals(SIGNATURE) || b.toString('latin1', 12, 16) !== 'IHDR') return null;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** A gradient with soft bands whose colours derive from the prompt and seed. */
export function patternPng(width: number, height: number, prompt: string, seed: number, text?: Record<string, string>): Buffer {
  const w = clampSide(width);
  const h = clampSide(height);
  const rand = prng(hash32(`${prompt}\u0000${seed}`));
  const c1 = [rand() * 255, rand() * 255, rand() * 255];
  const c2 = [rand() * 255, rand() * 255, rand() * 255];
  const band = 8 + Math.floor(rand() * 56);
  const rgb = new Uint8Array(w * h * 3);
  let i = 0;
  for (let y = 0; y < h; y++) {
    const ty = y / h;
    for (let x = 0; x < w; x++) {
      const t = (x / w + ty) * 0.5;
      const stripe = (((x + y) / band) | 0) & 1 ? 0.88 : 1;
      rgb[i++] = (c1[0] + (c2[0] - c1[0]) * t) * stripe;
      rgb[i++] = (c1[1] + (c2[1] - c1[1]) * t) * stripe;
      rgb[i++] = (c1[2] + (c2[2] - c1[2]) * t) * stripe;
    }
  }
  return encodePng(w, h, rgb, text);
}

function clampSide(n: number): number {
  return Math.max(1, Math.min(4096, Math.floor(n) || 1));
}
