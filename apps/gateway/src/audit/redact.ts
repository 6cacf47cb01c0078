import { scrub } from '../core/logger.js';

/**
 * What an audit row may hold of a before/after value. Channel keys, passwords and tokens are never
 * logged: a field whose name says it holds a secret keeps only whether it is set (`[redacted]`);
 * flags about secrets (`hasSecret`, `secretChanged`) are booleans and stay. Any other text is
 * scrubbed of key- and token-shaped strings (a key pasted into a name or a reason).
 */
const SECRET_NAME = /secret|password|passwd|token|api[-_]?key|^key$|authorization|cookie|credential|private[-_]?key|access[-_]?key/i;

const MAX_DEPTH = 8;

export function redactForAudit(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((v) => redactForAudit(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k] = SECRET_NAME.test(k) && v !== null && typeof v !== 'boolean' ? '[redacted]' : redactForAudit(v, depth + 1);
  }
  return out;
}
