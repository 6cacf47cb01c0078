// Bundles the compiled gateway (dist/, from `tsc -b`) into dist/bundle/: what `apigpt` runs.
//
// Why: tsc's output is ~300 ES modules, and with kysely's and TypeBox's ES builds (~460 more files)
// Node keeps a module record, its source and its scope for each, for the process's life: 11 MB
// resident of a gateway at ready (bench/RESULTS.md, session 17). One bundle with shared chunks holds
// the same code in a handful of modules. The modules stay as tsc wrote them in dist/ for the library
// entry (`@apigpt/gateway`) and the tests.
//
// Kept outside the bundle, loaded from node_modules as before:
// - what loads lazily on first use or is native (pg, ioredis, better-sqlite3, nodemailer, zxcvbn,
//   prom-client, OpenTelemetry, the simulator): a bundled copy would either be loaded
//   at start or be a second copy beside the one `createRequire` finds;
// - undici, which core/undici.ts loads file by file with `createRequire` (one copy only);
// - packages that find their own files through `__dirname` (pino's transports, the Swagger plugins'
//   static files and package.json), which has no meaning in a bundle.
//
// The entries keep their file names: `main.js` (the CLI), `index.js` (the library, for the bench),
// `worker.js` (the SQLite writer thread, which batch/thread.ts finds beside itself), `count-worker.js`
// (the token-count thread, likewise for formats/count-thread.ts). dist/bundle/ is
// as deep as dist/http/, so the console's and editor's paths relative to a module hold. The token
// table (scripts/bpe-table.mjs) is copied beside the bundle, where formats/tokens.ts looks for it.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';

const gateway = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${gateway}dist/bundle`;

export const EXTERNAL = [
  'better-sqlite3',
  'pg',
  'pg-native',
  'ioredis',
  'nodemailer',
  '@zxcvbn-ts/*',
  'prom-client',
  '@opentelemetry/*',
  '@apigpt/simulator',
  'undici',
  'undici/*',
  'pino',
  'thread-stream',
  '@fastify/swagger',
  '@fastify/swagger-ui',
];

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: gateway,
  entryPoints: { main: 'dist/cli/main.js', index: 'dist/index.js', worker: 'dist/batch/worker.js', 'count-worker': 'dist/formats/count-worker.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  external: EXTERNAL,
  // Bundled CommonJS packages (fastify, ajv…) call `require` for Node's own modules.
  banner: { js: "import { createRequire as __apigptRequire } from 'node:module'; const require = __apigptRequire(import.meta.url);" },
  chunkNames: 'chunk-[hash]',
  // Not `keepNames`: it wraps every function expression in a `__name()` call that defines `.name`,
  // which for a closure made per call is work on every call: in an alternated A/B (six rounds of
  // 3 s at 50 connections), CPU per non-streamed call was a median ~340 µs with it, ~286 µs for
  // tsc's modules, and ~308 / ~328 µs bundle / modules without it. Nothing reads function names;
  // stack traces keep them (esbuild renames only where two modules' names collide, adding a digit).
  // V8 keeps every module's source text for the process's life (functions compile lazily from it),
  // and one non-ASCII character anywhere (a comment's dash or arrow, a Chinese string) makes it keep
  // the whole chunk as two-byte text: 5.9 MB of heap for 3.5 MB of files, measured in a heap
  // snapshot. Without comments and indentation, escaped to ASCII, the same code is 2.3 MB of
  // one-byte text. Identifiers are not minified, so stack traces keep the functions' names (and
  // `node --enable-source-maps` maps them back to the TypeScript through the linked maps).
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  // Bundled packages' licence comments go beside their chunk (chunk-*.js.LEGAL.txt).
  legalComments: 'linked',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// `charset: 'ascii'` escapes strings and identifiers but not a regular expression's literal
// characters: write those as \u escapes in the source. A non-ASCII chunk fails the build here.
for (const file of readdirSync(outdir).filter((f) => f.endsWith('.js'))) {
  const text = readFileSync(`${outdir}/${file}`, 'latin1');
  const at = text.search(/[^\x00-\x7f]/);
  if (at >= 0) throw new Error(`dist/bundle/${file} is not ASCII near: ${JSON.stringify(text.slice(Math.max(0, at - 60), at + 20))} (V8 would keep it as two-byte text; escape the character in the source)`);
}
copyFileSync(`${gateway}dist/formats/o200k_base.bin`, `${outdir}/o200k_base.bin`);
