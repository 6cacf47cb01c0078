import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_ROOT = fileURLToPath(new URL('../../../console', import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');

/** Newest modification time under a folder, to tell whether dist is older than its sources. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds the console once when dist is missing or older than src (`npm test` builds first anyway;
 * this keeps `vitest run apps/gateway/test/e2e` honest on its own).
 */
export function ensureConsoleBuilt(): void {
  const index = join(CONSOLE_DIST, 'index.html');
  const stale = !existsSync(index) || statSync(index).mtimeMs < Math.max(newest(join(CONSOLE_ROOT, 'src')), statSync(join(CONSOLE_ROOT, 'index.html')).mtimeMs);
  if (!stale) return;
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: CONSOLE_ROOT, stdio: 'inherit' });
}
