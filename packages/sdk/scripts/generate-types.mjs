#!/usr/bin/env node
/**
 * Writes src/generated/management-api.ts from the OpenAPI document a gateway serves.
 *   node packages/sdk/scripts/generate-types.mjs                 # starts the built gateway (npm run build first) on a temp folder
 *   node packages/sdk/scripts/generate-types.mjs --url URL       # asks a running gateway
 * The SDK's tests fail when the committed file differs from what the gateway serves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './openapi-to-ts.mjs';

export const OUTPUT = fileURLToPath(new URL('../src/generated/management-api.ts', import.meta.url));

/** The document of a gateway started from the build, on its own temporary SQLite folder. */
export async function fetchDocFromBuild() {
  const dist = new URL('../../../apps/gateway/dist/', import.meta.url);
  const { loadConfig } = await import(new URL('config/config.js', dist).href);
  const { startGateway } = await import(new URL('gateway.js', dist).href);
  const { createLogger } = await import(new URL('core/logger.js', dist).href);
  const dataDir = mkdtempSync(join(tmpdir(), 'apigpt-sdk-gen-'));
  const config = loadConfig({ env: {}, file: undefined, overrides: { port: 0, host: '127.0.0.1', dataDir, secret: 'openapi-generation-only', demoChannel: 'off', logLevel: 'silent' } });
  const gw = await startGateway(config, { log: createLogger('silent') });
  try {
    return await (await fetch(`${gw.url}/api/openapi.json`)).json();
  } finally {
    await gw.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const i = process.argv.indexOf('--url');
  const doc = i > 0 ? await (await fetch(`${process.argv[i + 1].replace(/\/+$/, '')}/api/openapi.json`)).json() : await fetchDocFromBuild();
  writeFileSync(OUTPUT, generate(doc));
  console.log(`wrote ${OUTPUT}`);
}
