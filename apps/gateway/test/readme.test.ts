import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIELDS } from '../src/config/fields.js';
import { withConfigTable } from '../src/config/table.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

/** The README is the product's front door: it must stay true to the code. */
describe('README', () => {
  it('documents every setting exactly as the code defines it (run `npm run docs:config` after adding one)', () => {
    expect(withConfigTable(README, FIELDS)).toBe(README);
  });

  it('gives the two commands: start it and test it', () => {
    expect(README).toContain('npm ci && npm start');
    expect(README).toContain('npm test');
  });

  // `exec`: npm runs the script under `sh -c`, and a SIGTERM sent to `npm start` reaches that shell,
  // which exited on it and left the gateway running; exec'd, the gateway is npm's child itself.
  it('npm start runs the gateway in its shell’s place, with the mmap threshold the README says a single process needs', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/&& MALLOC_MMAP_THRESHOLD_=131072 exec node apps\/gateway\/bin\/apigpt\.js serve$/);
    expect(README).toContain('`npm start` sets it');
  });

  it('.ci/run runs the README test command', () => {
    const ci = readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
  });
});
