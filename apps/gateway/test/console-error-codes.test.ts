/**
 * Every error code the gateway can answer has a text in the console's Chinese and English
 * dictionaries (`apps/console/src/i18n/errors.ts`), so a Chinese reader never meets the server's
 * English sentence. The codes are read from the gateway's source: a new `code: '…'` (or the code
 * argument of `invalidRequest`) fails this test until it is translated. The codes of an order's note
 * lines (`payments/notes.ts`, also written `code: '…'`) are not errors: each has its own text in
 * both languages (`topups.line.<code>` in `apps/console/src/i18n/recharge.ts`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorsEn, errorsZhCN } from '../../console/src/i18n/errors.js';
import { rechargeEn, rechargeZh } from '../../console/src/i18n/recharge.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The codes of the `NoteLine` union (`{ code: 'a' }`, `{ code: 'b' | 'c'; … }`), and `text`, a note kept as written. */
function noteCodes(): Set<string> {
  const notes = readFileSync(join(SRC, 'payments/notes.ts'), 'utf8');
  const union = notes.slice(notes.indexOf('export type NoteLine'), notes.indexOf('export interface NoteView'));
  const codes = [...union.matchAll(/code: ((?:'[a-z_]+'(?: \| )?)+)/g)].flatMap((m) => [...m[1].matchAll(/'([a-z_]+)'/g)].map((c) => c[1]));
  return new Set([...codes, 'text']);
}

/** code → the file that answers it. */
function gatewayCodes(): Map<string, string> {
  const notes = noteCodes();
  const codes = new Map<string, string>();
  for (const file of sources(SRC)) {
    // Providers' own codes pass through from upstream as they came; the gateway's are everywhere else.
    if (file.includes('/providers/')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bcode: '([a-z][a-z0-9_]*)'/g)) if (!notes.has(m[1])) codes.set(m[1], file.slice(SRC.length));
    for (const m of text.matchAll(/invalidRequest\((?:[^()]|\([^()]*\))*?,\s*'[^']*'\s*,\s*'([a-z][a-z0-9_]*)'\s*\)/g)) codes.set(m[1], file.slice(SRC.length));
  }
  return codes;
}

describe('server error codes in the console', () => {
  const codes = gatewayCodes();

  it('finds the codes (the scan itself works)', () => {
    for (const c of ['email_taken', 'invalid_credentials', 'code_not_found', 'invalid_size', 'insufficient_quota', 'model_not_found']) expect(codes.has(c), c).toBe(true);
    expect(codes.size).toBeGreaterThan(80);
  });

  it('every code has a zh-CN text (and an English one), and no Chinese text is the English one', () => {
    const zh = errorsZhCN as Record<string, string>;
    const en = errorsEn as Record<string, string>;
    const missing = [...codes].filter(([c]) => !zh[`err.${c}`] || !en[`err.${c}`]).map(([c, file]) => `${c} (${file})`);
    expect(missing).toEqual([]);
    const untranslated = Object.keys(zh).filter((k) => zh[k] === en[k]);
    expect(untranslated).toEqual([]);
    for (const k of Object.keys(zh)) expect(/[\u4e00-\u9fff]/.test(zh[k]), k).toBe(true);
  });

  it("every code of an order's note lines has its text in both languages", () => {
    const codes = [...noteCodes()].filter((c) => c !== 'text');
    expect(codes).toContain('provider_refund');
    expect(codes).toContain('money_returned');
    expect(codes.length).toBeGreaterThan(15);
    // A refund or dispute at the provider reads differently once credit was taken back, and when some could not be.
    const keys = codes.flatMap((c) => (c === 'provider_refund' || c === 'provider_dispute' ? [c, `${c}.taken`, `${c}.short`] : [c])).map((c) => `topups.line.${c}`);
    const en = rechargeEn as Record<string, string>;
    const zh = rechargeZh as Record<string, string>;
    expect(keys.filter((k) => !en[k] || !zh[k])).toEqual([]);
    for (const k of keys) expect(/[\u4e00-\u9fff]/.test(zh[k]), k).toBe(true);
  });
});
