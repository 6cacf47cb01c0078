// Reasoning signatures, simulated: Anthropic's thinking-block `signature` and `redacted_thinking`
// `data`, Gemini's `thoughtSignature`. The real ones are the provider's encrypted proof that it
// wrote the reasoning, checked when a later turn sends it back; here they are an HMAC of what they
// cover under a key of the simulator instance, so a signature the client (or a gateway in between)
// changed, dropped or made up is refused exactly where the provider would refuse it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const keys = new WeakMap<object, Buffer>();

function keyOf(sim: object): Buffer {
  let key = keys.get(sim);
  if (!key) keys.set(sim, (key = randomBytes(32)));
  return key;
}

/** The signature of `content` in `domain` (thinking text, a Gemini part), base64 as the providers send theirs. */
export function sign(sim: object, domain: string, content: string): string {
  return createHmac('sha256', keyOf(sim)).update(`${domain}\n${content}`).digest('base64');
}

/** Whether `signature` is the one this instance made for `content` in `domain`. */
export function verify(sim: object, domain: string, content: string, signature: unknown): boolean {
  if (typeof signature !== 'string') return false;
  const want = Buffer.from(sign(sim, domain, content), 'utf8');
  const got = Buffer.from(signature, 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * Opaque sealed data (Anthropic's `redacted_thinking.data`): a random nonce and its MAC, so only
 * data this instance issued, unchanged, verifies.
 */
export function sealedData(sim: object): string {
  const nonce = randomBytes(24).toString('base64');
  return Buffer.from(`${nonce}.${sign(sim, 'redacted', nonce)}`).toString('base64');
}

export function verifySealed(sim: object, data: unknown): boolean {
  if (typeof data !== 'string') return false;
  const [nonce, mac, extra] = Buffer.from(data, 'base64').toString('utf8').split('.');
  return extra === undefined && !!nonce && verify(sim, 'redacted', nonce, mac);
}
