/**
 * scripts/test-summary.mjs, the end of every `npm test` (and so of CI's log, which is often read from
 * its end only): the slowest files, then each failed test with its errors' first lines, then the
 * closing line. Run as npm runs it, on a vitest JSON report written here.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/test-summary.mjs', import.meta.url));

interface Assertion {
  ancestorTitles: string[];
  title: string;
  status: 'passed' | 'failed';
  failureMessages: string[];
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the script in a folder holding `report` as test-artifacts/vitest.json (its files' names under that folder, as vitest writes them). */
function summarise(report: { testResults: { name: string }[]; [field: string]: unknown }, vitestCode = 0): { lines: string[]; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'summary-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'test-artifacts'));
  const testResults = report.testResults.map((f) => ({ ...f, name: join(dir, f.name) }));
  writeFileSync(join(dir, 'test-artifacts', 'vitest.json'), JSON.stringify({ ...report, testResults }));
  const r = spawnSync(process.execPath, [SCRIPT, String(vitestCode)], { cwd: dir, encoding: 'utf8' });
  return { lines: r.stdout.trimEnd().split('\n'), status: r.status };
}

const file = (name: string, ms: number, asserted: Assertion[]) => ({
  name,
  startTime: 1_000,
  endTime: 1_000 + ms,
  status: asserted.some((a) => a.status === 'failed') ? 'failed' : 'passed',
  assertionResults: asserted,
});
const ok = (title: string): Assertion => ({ ancestorTitles: ['suite'], title, status: 'passed', failureMessages: [] });

describe('the test run\'s closing summary', () => {
  it('lists the 20 slowest files and any failed one, then each failed test with its errors\' first lines, then the closing line', () => {
    // 35 quick files, and a failed one quicker than all of them (so only its failure lists it).
    const files = Array.from({ length: 35 }, (_, i) => file(`t/f${String(i).padStart(2, '0')}.test.ts`, 10_000 + i * 1_000, [ok('fine')]));
    const timeout = '\u001b[31mTimeoutError\u001b[39m: locator.waitFor: Timeout 30000ms exceeded.\nCall log:\n  - waiting for getByText(\'Welcome\') to be visible\n\n    at t/e2e.test.ts:12:3\n    at more frames';
    const context = 'Error: when "signs up" failed: user page at http://127.0.0.1:1/login showed: Log in Email Password';
    files.push(file('t/e2e.test.ts', 500, [{ ancestorTitles: ['console'], title: 'signs up', status: 'failed', failureMessages: [timeout, context] }, ok('after it')]));
    const { lines, status } = summarise({ numPassedTests: 36, numFailedTests: 1, numTotalTests: 37, numPendingTests: 0, testResults: files });

    expect(status).toBe(1);
    const listed = lines.filter((l) => /^\s+\d+\.\d s {2}/.test(l));
    expect(listed).toHaveLength(21);
    expect(listed[0]).toBe('    44.0 s  t/f34.test.ts');
    expect(listed[19]).toBe('    25.0 s  t/f15.test.ts');
    expect(listed[20]).toBe('     0.5 s  t/e2e.test.ts  FAILED');
    const from = lines.indexOf('failed tests (1), in each file in the order they ran:');
    expect(from).toBeGreaterThan(lines.indexOf(listed[20]));
    expect(lines.slice(from + 1)).toEqual([
      '  FAIL t/e2e.test.ts > console > signs up',
      '       TimeoutError: locator.waitFor: Timeout 30000ms exceeded.',
      '       Call log:',
      "         - waiting for getByText('Welcome') to be visible",
      `       ${context}`,
      '',
      'tests: 36 passed, 1 failed',
    ]);
  });

  it('the first three failed tests show their errors\' first lines, later ones one line of each error, so a cascade fits the end of a log', () => {
    const fail = (title: string): Assertion => ({ ancestorTitles: [], title, status: 'failed', failureMessages: [`Error: ${title} broke\nsecond line\nthird line`] });
    const titles = ['one', 'two', 'three', 'four', 'five'];
    const { lines } = summarise({ numPassedTests: 0, numFailedTests: 5, numTotalTests: 5, testResults: [file('t/a.test.ts', 900, titles.map(fail))] });
    const from = lines.indexOf('failed tests (5), in each file in the order they ran:');
    expect(lines.slice(from + 1, -2)).toEqual([
      ...titles.slice(0, 3).flatMap((t) => [`  FAIL t/a.test.ts > ${t}`, `       Error: ${t} broke`, '       second line', '       third line']),
      ...titles.slice(3).flatMap((t) => [`  FAIL t/a.test.ts > ${t}`, `       Error: ${t} broke`]),
    ]);
  });

  it('a run without failures ends with the closing line and no list of failures', () => {
    const { lines, status } = summarise({ numPassedTests: 2, numFailedTests: 0, numTotalTests: 2, numPendingTests: 1, testResults: [file('t/a.test.ts', 1_200, [ok('one'), ok('two')])] });
    expect(status).toBe(0);
    expect(lines.at(-1)).toBe('tests: 2 passed, 0 failed, 1 skipped');
    expect(lines.some((l) => l.startsWith('failed tests'))).toBe(false);
  });

  it('a run vitest itself failed is not a success, even when every test it reported passed', () => {
    const { lines, status } = summarise({ numPassedTests: 2, numFailedTests: 0, numTotalTests: 2, testResults: [file('t/a.test.ts', 1_200, [ok('one'), ok('two')])] }, 1);
    expect(status).toBe(1);
    expect(lines.at(-1)).toBe('tests: 2 passed, 0 failed');
  });
});
