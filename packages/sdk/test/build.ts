import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK = fileURLToPath(new URL('..', import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * Builds packages/sdk when dist is missing or older than src, for the tests that import the package
 * as users do (`npm test` builds first anyway; this keeps running one test file honest).
 */
export function ensureSdkBuilt(): void {
  const index = join(SDK, 'dist/index.js');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(SDK, 'src'))) return;
  execFileSync('npx', ['tsc', '-b', SDK], { stdio: 'inherit' });
}
