/**
 * The tests that run the real `apigpt` binary: bin/apigpt.js loads the compiled apps/gateway/dist/
 * (and, through @apigpt/simulator, packages/simulator/dist/), not the TypeScript sources every
 * other test runs. A dist older than its sources would test old code and pass or fail for the
 * wrong reason, so such a test stops at once with what to run. `npm test` builds first.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'apps/gateway/bin/apigpt.js');
const PACKAGES = ['packages/simulator', 'apps/gateway'];
export const BUILD_COMMAND = 'npx tsc -b packages/simulator apps/gateway && node apps/gateway/scripts/bpe-table.mjs && node apps/gateway/scripts/bundle.mjs';

/** Files under a folder, with their modification times. */
function files(dir: string, out: { path: string; mtimeMs: number }[] = []): { path: string; mtimeMs: number }[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files(p, out);
    else if (e.isFile()) out.push({ path: p, mtimeMs: statSync(p).mtimeMs });
  }
  return out;
}

/** Why the compiled packages do not match their sources, or null when they do. */
export function staleBuild(): string | null {
  for (const pkg of PACKAGES) {
    const src = join(ROOT, pkg, 'src');
    const dist = join(ROOT, pkg, 'dist');
    if (!existsSync(dist)) return `${pkg}/dist does not exist`;
    // Sources tsc compiles (tests under src are excluded from the build).
    const sources = files(src).filter((f) => /\.tsx?$/.test(f.path) && !/\.d\.ts$|\.test\.tsx?$/.test(f.path));
    // The gateway's bundle is made from these outputs, not from the sources (checked below).
    const outputs = files(dist).filter((f) => !f.path.includes('/dist/bundle/'));
    const info = join(ROOT, pkg, 'tsconfig.tsbuildinfo');
    // A build whose outputs were already right only updates the build info's time.
    const builtAt = Math.max(0, ...outputs.map((f) => f.mtimeMs), existsSync(info) ? statSync(info).mtimeMs : 0);
    const newest = sources.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
    if (newest.mtimeMs > builtAt) return `${relative(ROOT, newest.path)} is newer than ${pkg}/dist`;
    // A module that was added or moved keeps its old time: its output must exist.
    const missing = sources.find((f) => !existsSync(join(dist, relative(src, f.path)).replace(/\.tsx?$/, '.js')));
    if (missing) return `${relative(ROOT, missing.path)} has no compiled ${pkg}/dist/${relative(src, missing.path).replace(/\.tsx?$/, '.js')}`;
  }
  // The token table formats/tokens.ts reads (scripts/bpe-table.mjs).
  if (!existsSync(join(ROOT, 'apps/gateway/dist/formats/o200k_base.bin'))) return 'apps/gateway/dist/formats/o200k_base.bin does not exist';
  // bin/apigpt.js runs the bundle made from the gateway's compiled modules (scripts/bundle.mjs).
  const bundle = join(ROOT, 'apps/gateway/dist/bundle/main.js');
  if (!existsSync(bundle)) return 'apps/gateway/dist/bundle/main.js does not exist';
  const compiled = files(join(ROOT, 'apps/gateway/dist')).filter((f) => !f.path.includes('/dist/bundle/'));
  const newestCompiled = compiled.reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (newestCompiled.mtimeMs > statSync(bundle).mtimeMs) return `${relative(ROOT, newestCompiled.path)} is newer than apps/gateway/dist/bundle`;
  return null;
}

// Checked once per test file: a source edited while the file runs does not fail it halfway.
let checked: { stale: string | null } | undefined;

/** The path of bin/apigpt.js; throws, saying what to run, when the dist it loads is stale. */
export function apigptBin(): string {
  checked ??= { stale: staleBuild() };
  if (checked.stale) throw new Error(`bin/apigpt.js would run an old build: ${checked.stale}. Run \`${BUILD_COMMAND}\` (npm test builds first).`);
  return BIN;
}
