// `npm test` builds before it tests, and on a fresh clone `npm ci` has just built everything (the
// root `prepare` script): building the editor and the console a second time costs a minute of CI
// for nothing. The TypeScript projects build incrementally by themselves (`tsc -b`); the two
// bundles are rebuilt here only when a file they are made from is newer than their last build's
// stamp. `npm run build` (this script with --force) always builds everything and writes the stamps.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const force = process.argv.includes('--force');
const run = (...args) => execFileSync('npm', args, { cwd: root, stdio: 'inherit' });

/** The newest modification time under the given paths (files or folders, skipping `skip`), in ms. */
function newest(paths, skip = ['node_modules', 'dist']) {
  let max = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (!skip.includes(name)) visit(join(p, name));
    } else max = Math.max(max, st.mtimeMs);
  };
  for (const p of paths) visit(join(root, p));
  return max;
}

const bundles = [
  {
    workspace: '@apigpt/editor',
    output: 'packages/editor/dist/agi-editor.js',
    // The editor bundles the SDK's sources.
    inputs: ['packages/editor', 'packages/sdk/src', 'packages/sdk/package.json', 'package-lock.json'],
  },
  {
    workspace: '@apigpt/console',
    output: 'apps/console/dist/index.html',
    inputs: ['apps/console', 'package-lock.json'],
  },
];

run('exec', '--', 'tsc', '-b', 'packages/simulator', 'apps/gateway', 'packages/sdk');
// The token table (apps/gateway/scripts/bpe-table.mjs), made from gpt-tokenizer's vocabulary: when
// it is missing or older than its script, the counter (whose hash its index uses) or the package.
const table = join(root, 'apps/gateway/dist/formats/o200k_base.bin');
const tableInputs = ['apps/gateway/scripts/bpe-table.mjs', 'apps/gateway/dist/formats/bpe.js', 'node_modules/gpt-tokenizer/package.json'];
if (force || !existsSync(table) || statSync(table).mtimeMs < newest(tableInputs)) execFileSync(process.execPath, ['apps/gateway/scripts/bpe-table.mjs'], { cwd: root, stdio: 'inherit' });
// The gateway's bundle (what bin/apigpt.js runs) is made from tsc's output: rebuilt when any of it,
// or the bundle script (its options), is newer than the bundle's entry (about a second).
const gatewayBundle = join(root, 'apps/gateway/dist/bundle/main.js');
const newestCompiled = newest(['apps/gateway/dist', 'apps/gateway/scripts/bundle.mjs'], ['bundle']);
if (force || !existsSync(gatewayBundle) || statSync(gatewayBundle).mtimeMs < newestCompiled) execFileSync(process.execPath, ['apps/gateway/scripts/bundle.mjs'], { cwd: root, stdio: 'inherit' });
else console.log('@apigpt/gateway bundle: up to date');
// Stamps live outside dist/, which the gateway serves.
const stamps = join(root, 'node_modules/.cache/apigpt-build');
mkdirSync(stamps, { recursive: true });
for (const b of bundles) {
  const stamp = join(stamps, `${b.workspace.replace('/', '+')}.stamp`);
  if (!force && existsSync(stamp) && existsSync(join(root, b.output)) && statSync(stamp).mtimeMs >= newest(b.inputs)) {
    console.log(`${b.workspace}: up to date (nothing newer than its last build)`);
    continue;
  }
  run('run', 'build', '-w', b.workspace);
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
