// After `vitest run` (npm test): every test file's duration, slowest first, then the plain closing
// line CI reads ("tests: N passed, N failed"), always the very last line. Reads vitest's JSON report
// (test-artifacts/vitest.json). Optional argument: vitest's own exit code, so a run vitest called
// failed is never reported as a success.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const REPORT = 'test-artifacts/vitest.json';
const vitestCode = Number(process.argv[2] ?? 0);

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
  return { name: relative(process.cwd(), f.name), ms: wall, status: f.status, broken, message: f.message ?? '' };
});
files.sort((a, b) => b.ms - a.ms || a.name.localeCompare(b.name));

if (files.length) {
  const total = files.reduce((n, f) => n + f.ms, 0);
  console.log(`\ntest files by duration, slowest first (${files.length} files, ${(total / 1000).toFixed(1)} s in all, run in parallel):`);
  for (const f of files) {
    const mark = f.broken ? `  FAILED TO RUN: ${f.message.split('\n')[0].slice(0, 160)}` : f.status === 'failed' ? '  FAILED' : '';
    console.log(`${(f.ms / 1000).toFixed(1).padStart(8)} s  ${f.name}${mark}`);
  }
  console.log('');
}

const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const broken = files.filter((f) => f.broken).length;
const failed = report.numFailedTests > 0 || broken > 0 || report.numTotalTests === 0 || vitestCode !== 0;
console.log(
  `tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}${broken ? `, ${broken} file${broken === 1 ? '' : 's'} failed to run` : ''}`,
);
process.exitCode = failed ? 1 : 0;
