/**
 * Every error code the gateway can answer has a text in the console's Chinese and English
 * dictionaries (`apps/console/src/i18n/errors.ts`), so a Chinese reader never meets the server's
 * English sentence. The codes are read from the gateway's source: a new `code: '…'` (or the code
 * argument of `invalidRequest`) fails this test until it is translated.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorsEn, errorsZhCN } from '../../console/src/i18n/errors.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** code → the file that answers it. */
function gatewayCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const file of sources(SRC)) {
    // Providers' own codes pass through from upstream as they came; the gateway's are everywhere else.
    if (file.includes('/providers/')) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bcode: '([a-z][a-z0-9_]*)'/g)) codes.set(m[1], file.slice(SRC.length));
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
});
