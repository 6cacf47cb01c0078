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
// `worker.js` (the SQLite writer thread, which batch/thread.ts finds beside itself). dist/bundle/ is
// as deep as dist/http/, so the console's and editor's paths relative to a module hold. The token
// table (scripts/bpe-table.mjs) is copied beside the bundle, where formats/tokens.ts looks for it.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { copyFileSync, rmSync } from 'node:fs';

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
  entryPoints: { main: 'dist/cli/main.js', index: 'dist/index.js', worker: 'dist/batch/worker.js' },
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
  sourcemap: 'linked',
  logLevel: 'warning',
});
copyFileSync(`${gateway}dist/formats/o200k_base.bin`, `${outdir}/o200k_base.bin`);
