// Deterministic embeddings: the same input always maps to the same unit vector, different
// inputs to (almost surely) different ones, so gateway tests can compare results exactly.

/** FNV-1a 32-bit; fast and good enough to seed a PRNG. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Unit vector for an input. The first `dims` values come from one PRNG stream, so a smaller
 * `dimensions` is the truncated-and-renormalised larger vector, as OpenAI's v3 models behave.
 */
export function embedVector(input: string | number[], dims: number): Float32Array {
  const key = typeof input === 'string' ? input : `tokens:${input.join(',')}`;
  const rand = prng(hash32(key));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = rand() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  const inv = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) v[i] *= inv;
  return v;
}

/** Little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"`. */
export function vectorBase64(v: Float32Array): string {
  const buf = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (!isLittleEndian()) {
    const copy = Buffer.from(buf);
    copy.swap32();
    return copy.toString('base64');
  }
  return buf.toString('base64');
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Plain number array with float32 precision (what the wire would carry). */
export function vectorArray(v: Float32Array): number[] {
  return Array.from(v);
}
