import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';

// Tests run against the TypeScript sources; workspace packages resolve to their src so no build is
// needed between an edit and a test run.
export default defineConfig({
  resolve: {
    alias: {
      '@apigpt/simulator': fileURLToPath(new URL('./packages/simulator/src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test-util/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'python/*/tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A fork runs many test files one after another and keeps the modules it has loaded: loading the
    // gateway's sources afresh for each of 165 files cost about 650 s of CPU per run (two thirds of
    // CI's CPU on two cores). The sources keep no hidden module state (caches are keyed by what
    // they cache; each gateway owns its registry, storage and timers), and every test file makes
    // its own gateways, schema and key prefix.
    isolate: false,
    // Vitest's default in a run is one worker fewer than the cores: one worker on a 2-core CI
    // machine, where much test time is spent waiting on child gateways, Chromium and sockets. In CI
    // (CI=true, the machine to itself) three forks: the suite ran in 911 s with three and 991 s with
    // four, where Chromium and the CLI-spawning tests also began to miss their ceilings. Elsewhere
    // vitest's default leaves room for whatever else the machine runs. VITEST_MAX_WORKERS overrides.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS) || (process.env.CI ? 3 : Math.max(availableParallelism() - 1, 1)),
  },
});
