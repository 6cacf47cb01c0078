import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EDITOR_ROOT = fileURLToPath(new URL('../../../../packages/editor', import.meta.url));
export const EDITOR_DIST = join(EDITOR_ROOT, 'dist');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Bundles the editor when its dist is missing or older than its sources or demo page (`npm test`
 * builds first anyway; this keeps `vitest run` of one file honest on its own).
 */
export function ensureEditorBuilt(): void {
  const bundle = join(EDITOR_DIST, 'agi-editor.js');
  const sources = Math.max(newest(join(EDITOR_ROOT, 'src')), newest(join(EDITOR_ROOT, 'demo')));
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= sources) return;
  execFileSync('node', ['scripts/build.mjs'], { cwd: EDITOR_ROOT, stdio: 'inherit' });
}
