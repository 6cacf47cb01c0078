// Bundles the editor into one ES module (dist/agi-editor.js) that a page loads with one script tag,
// and copies the demo page beside it. Types come from `tsc -p .` (dist/types), run before this.
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
mkdirSync(`${root}dist`, { recursive: true });
await build({
  entryPoints: [`${root}src/index.ts`],
  outfile: `${root}dist/agi-editor.js`,
  bundle: true,
  format: 'esm',
  // Browsers from 2021 on: custom elements, private fields, optional chaining are native there.
  target: ['es2021', 'chrome100', 'firefox100', 'safari15'],
  platform: 'browser',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
cpSync(`${root}demo`, `${root}dist`, { recursive: true });

// Brotli and gzip siblings: the gateway sends them to browsers that accept them (http/console.ts
// `precompressed`), about a quarter of the bundle's size over the wire.
const { brotliCompressSync, gzipSync, constants } = await import('node:zlib');
const { readFileSync, writeFileSync } = await import('node:fs');
for (const name of ['agi-editor.js', 'index.html', 'demo.js', 'demo.css']) {
  const bytes = readFileSync(`${root}dist/${name}`);
  writeFileSync(`${root}dist/${name}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  writeFileSync(`${root}dist/${name}.gz`, gzipSync(bytes, { level: 9 }));
}
