/**
 * Runs the aigccloud Python package's unittest suite with the machine's python3 against a real
 * gateway (the simulator as every provider, packages/sdk/test/gateway.ts), and reports each Python
 * test as a test of its own. `python3 -m unittest discover -s python/aigccloud/tests` runs the same
 * tests by hand, given AIGCCLOUD_BASE_URL, AIGCCLOUD_API_KEY and the AIGCCLOUD_TEST_* settings.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, startSdkGateway, type SdkGateway } from '../../../packages/sdk/test/gateway.js';

const TESTS = fileURLToPath(new URL('.', import.meta.url));
const SRC = fileURLToPath(new URL('../src', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';

/** The suite's test ids, read before the run so each is a vitest test of its own. */
const ids = JSON.parse(execFileSync(PYTHON, [join(TESTS, 'run_json.py'), '--list'], { env: { ...process.env, PYTHONPATH: SRC }, encoding: 'utf8' })) as string[];

interface Outcome {
  status: 'passed' | 'failed' | 'skipped';
  detail?: string;
}

describe('aigccloud (Python, unittest)', () => {
  let g: SdkGateway;
  let outcomes: Record<string, Outcome> = {};
  let log = '';

  beforeAll(async () => {
    g = await startSdkGateway();
    const dir = mkdtempSync(join(tmpdir(), 'aigccloud-tests-'));
    const results = join(dir, 'results.json');
    const env = {
      ...process.env,
      PYTHONPATH: `${SRC}:${TESTS}`,
      PYTHONDONTWRITEBYTECODE: '1',
      NO_PROXY: '127.0.0.1,localhost',
      AIGCCLOUD_BASE_URL: g.url,
      AIGCCLOUD_API_KEY: g.key,
      AIGCCLOUD_TEST_BROKE_KEY: g.brokeKey,
      AIGCCLOUD_TEST_KEY_ID: g.keyId,
      AIGCCLOUD_TEST_ROOT_TOKEN: g.t.rootToken,
      AIGCCLOUD_TEST_FLAKY_URL: g.flaky.url,
      AIGCCLOUD_TEST_MODELS: JSON.stringify(MODELS),
    };
    // Asynchronous: the gateway runs in this process and must keep answering while Python calls it.
    log = await new Promise<string>((resolve) => {
      execFile(PYTHON, [join(TESTS, 'run_json.py'), results], { env, cwd: dir, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    try {
      outcomes = JSON.parse(readFileSync(results, 'utf8')) as Record<string, Outcome>;
    } catch {
      outcomes = {};
    }
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
  afterAll(async () => g?.close());

  it('found the suite', () => {
    expect(ids.length).toBeGreaterThan(30);
  });

  it.each(ids)('%s', (id) => {
    const o = outcomes[id];
    if (!o) throw new Error(`no result for ${id}; the run's output:\n${log.slice(-4000)}`);
    if (o.status === 'failed') throw new Error(o.detail);
    expect(o.status).toBe('passed');
  });
});
