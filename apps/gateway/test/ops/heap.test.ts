import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tuneHeap } from '../../src/core/heap.js';
import { apigptBin } from '../built-cli.js';
import { loadConfig } from '../../src/config/config.js';

describe('the heap growing factor apigpt serve sets', () => {
  it('defaults to 50% and is read from APIGPT_HEAP_GROWING_PERCENT', () => {
    expect(loadConfig({ env: {}, file: undefined }).heapGrowingPercent).toBe(50);
    expect(loadConfig({ env: { APIGPT_HEAP_GROWING_PERCENT: '80' }, file: undefined }).heapGrowingPercent).toBe(80);
    expect(() => loadConfig({ env: { APIGPT_HEAP_GROWING_PERCENT: '-1' }, file: undefined })).toThrow(/APIGPT_HEAP_GROWING_PERCENT/);
  });

  it('sets V8 flag when neither the command line nor NODE_OPTIONS sets one', () => {
    expect(tuneHeap(50, [], '--max-old-space-size=512')).toBe('--heap-growing-percent=50');
  });

  it('leaves the operator’s own flag alone, on the command line or in NODE_OPTIONS', () => {
    expect(tuneHeap(50, ['--heap-growing-percent=30'], '')).toBeNull();
    expect(tuneHeap(50, [], '--heap-growing-percent=30 --max-old-space-size=512')).toBeNull();
  });

  it('0 leaves the factor to V8', () => {
    expect(tuneHeap(0, [], '')).toBeNull();
  });
});

const run = promisify(execFile);

/**
 * The young-generation hold, in a process of its own (this runner's heap is long grown): objects
 * that all survive, as module loading makes, first while held, then after the release.
 */
const YOUNG_CHILD = `
import { getHeapSpaceStatistics } from 'node:v8';
const { holdYoungGeneration } = await import(process.env.HEAP_DIST);
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
const keep = [];
const survive = () => { for (let i = 0; i < 400_000; i++) keep.push({ i, s: 'v' + i, a: [i] }); };
const release = process.env.HOLD === '1' ? holdYoungGeneration() : () => {};
const atStart = young();
survive();
const held = young();
release();
release();
survive();
console.log(JSON.stringify({ atStart, held, released: young() }));
`;

async function youngSizes(hold: boolean, nodeArgs: string[] = []): Promise<{ atStart: number; held: number; released: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-heap-'));
  try {
    const script = join(dir, 'child.mjs');
    writeFileSync(script, YOUNG_CHILD);
    const dist = pathToFileURL(join(dirname(apigptBin()), '../dist/core/heap.js')).href;
    const { stdout } = await run(process.execPath, [...nodeArgs, script], { env: { ...process.env, HEAP_DIST: dist, HOLD: hold ? '1' : '0', NODE_OPTIONS: '' }, timeout: 60_000 });
    return JSON.parse(stdout.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the young generation held while the gateway loads', () => {
  it('stays at its starting size while held, and grows again once released', async () => {
    const out = await youngSizes(true);
    expect(out.held).toBeLessThanOrEqual(2 * out.atStart);
    expect(out.released).toBeGreaterThanOrEqual(8 * out.held);
  }, 90_000);

  it('without the hold, the same surviving objects grow it (what the hold prevents)', async () => {
    const out = await youngSizes(false);
    expect(out.held).toBeGreaterThanOrEqual(8 * out.atStart);
  }, 90_000);

  it('leaves the operator’s own young-generation flag alone: asked to hold, it holds nothing', async () => {
    const out = await youngSizes(true, ['--max-semi-space-size=16']);
    expect(out.held).toBeGreaterThanOrEqual(8 * out.atStart);
  }, 90_000);

  it('a gateway started held has a young generation at its starting size when it serves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-heap-'));
    try {
      const script = join(dir, 'child.mjs');
      writeFileSync(
        script,
        `
import { getHeapSpaceStatistics } from 'node:v8';
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
const atStart = young();
const { holdYoungGeneration } = await import(process.env.HEAP_DIST);
const release = process.env.HOLD === '1' ? holdYoungGeneration() : () => {};
const { startGateway, loadConfig, createLogger } = await import(process.env.GATEWAY_DIST);
const config = loadConfig({ env: {}, file: undefined, overrides: { port: 0, host: '127.0.0.1', dataDir: process.env.DATA_DIR, demoChannel: 'off', logLevel: 'silent', adminEmail: 'admin@heap.local', adminPassword: 'violet canyon drums 1987 lantern' } });
const gw = await startGateway(config, { log: createLogger('silent') });
const serving = young();
release();
await gw.close();
console.log(JSON.stringify({ atStart, serving }));
`,
      );
      const dist = (f: string) => pathToFileURL(join(dirname(apigptBin()), '../dist', f)).href;
      const start = async (hold: boolean) => {
        const { stdout } = await run(process.execPath, [script], {
          env: { ...process.env, HEAP_DIST: dist('core/heap.js'), GATEWAY_DIST: dist('index.js'), DATA_DIR: join(dir, hold ? 'held' : 'free'), HOLD: hold ? '1' : '0', NODE_OPTIONS: '' },
          timeout: 60_000,
        });
        return JSON.parse(stdout.trim().split('\n').pop()!) as { atStart: number; serving: number };
      };
      const held = await start(true);
      expect(held.serving).toBeLessThanOrEqual(2 * held.atStart);
      // The same start without the hold grows it: the check above is not vacuous.
      const free = await start(false);
      expect(free.serving).toBeGreaterThanOrEqual(8 * free.atStart);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
