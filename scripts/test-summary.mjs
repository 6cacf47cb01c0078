// After `vitest run` (npm test): the slowest test files with their durations, then every failed test
// with the first lines of its error, then the plain closing line CI reads ("tests: N passed, N
// failed"), always the very last line. Failures come last because a CI log is often read from its
// end only: vitest's own report of them is far above, and of many failures only the last fits there.
// Reads vitest's JSON report (test-artifacts/vitest.json). Optional argument: vitest's own exit
// code, so a run vitest called failed is never reported as a success.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const REPORT = 'test-artifacts/vitest.json';
const vitestCode = Number(process.argv[2] ?? 0);
/** Files listed by duration (every failed one is listed too); the whole list is in the report. */
const SLOWEST = 20;
/**
 * Lines shown of each error of a failed test (a test can fail in its body and in a hook): the first
 * DETAILED failures (the first is often the cause of the rest) get ERROR_LINES, later ones one line,
 * so that the whole list fits the end of a log. At most MAX_FAILURES tests are listed.
 */
const ERROR_LINES = 4;
const DETAILED = 3;
const MAX_FAILURES = 40;
const plain = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

if (!existsSync(REPORT)) {
  console.log(`tests: 0 passed, 0 failed (no ${REPORT}: vitest did not finish${vitestCode ? `, exit code ${vitestCode}` : ''})`);
  process.exit(1);
}

const report = JSON.parse(readFileSync(REPORT, 'utf8'));
const files = (report.testResults ?? []).map((f) => {
  const asserted = f.assertionResults ?? [];
  const wall = Number.isFinite(f.endTime - f.startTime) ? f.endTime - f.startTime : asserted.reduce((n, a) => n + (a.duration ?? 0), 0);
  // A file that failed with no failed test did not run (an import or a hook outside any test failed).
  const broken = f.status === 'failed' && !asserted.some((a) => a.status === 'failed');
  const failures = asserted.filter((a) => a.status === 'failed').map((a) => ({ title: [...(a.ancestorTitles ?? []), a.title].join(' > '), messages: a.failureMessages ?? [] }));
  return { name: relative(process.cwd(), f.name), ms: wall, status: f.status, broken, message: f.message ?? '', failures };
});
files.sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));

if (files.length) {
  const total = files.reduce((n, f) => n + f.ms, 0);
  const shown = files.filter((f, i) => i < SLOWEST || f.status === 'failed');
  console.log(`\ntest files by duration, slowest first (${files.length} files, ${(total / 1000).toFixed(1)} s in all, run in parallel; the ${SLOWEST} slowest and any that failed):`);
  for (const f of shown) {
    const mark = f.broken ? `  FAILED TO RUN: ${f.message.split('\n')[0].slice(0, 160)}` : f.status === 'failed' ? '  FAILED' : '';
    console.log(`${(f.ms / 1000).toFixed(1).padStart(8)} s  ${f.name}${mark}`);
  }
  console.log('');
}

const failedTests = files.flatMap((f) => f.failures.map((t) => ({ file: f.name, ...t })));
if (failedTests.length) {
  console.log(`failed tests (${failedTests.length}), in each file in the order they ran:`);
  failedTests.slice(0, MAX_FAILURES).forEach((t, i) => {
    console.log(`  FAIL ${t.file} > ${t.title}`);
    for (const m of t.messages) {
      const lines = plain(m).split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() && !/^\s+at /.test(l));
      for (const l of lines.slice(0, i < DETAILED ? ERROR_LINES : 1)) console.log(`       ${l.slice(0, 300)}`);
    }
  });
  if (failedTests.length > MAX_FAILURES) console.log(`  … and ${failedTests.length - MAX_FAILURES} more (test-artifacts/vitest.json)`);
  console.log('');
}

const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const broken = files.filter((f) => f.broken).length;
const failed = report.numFailedTests > 0 || broken > 0 || report.numTotalTests === 0 || vitestCode !== 0;
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}${broken ? `, ${broken} file${broken === 1 ? '' : 's'} failed to run` : ''}`,
);
process.exitCode = failed ? 1 : 0;
