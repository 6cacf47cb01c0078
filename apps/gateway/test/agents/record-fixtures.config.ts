/** Runs only the fixture recorder (see record-fixtures.ts); the main config's include leaves it out. */
import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  root: fileURLToPath(new URL('../../../../', import.meta.url)),
  resolve: {
    alias: {
      '@apigpt/simulator': fileURLToPath(new URL('../../../../packages/simulator/src/index.ts', import.meta.url)),
    },
  },
  test: { include: ['apps/gateway/test/agents/record-fixtures.ts'], testTimeout: 300_000, hookTimeout: 60_000, pool: 'forks' },
});
