import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

/** Runs dependency-cruiser with the gateway's rules; the answer is its JSON report. */
function cruise(): { violations: Violation[]; modules: number } {
  const bin = join(root, '..', '..', 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const out = execFileSync(process.execPath, [bin, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }).toString();
  const report = JSON.parse(out) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: report.summary.violations, modules: report.summary.totalCruised };
}

describe('layering', () => {
  it('has no import cycle and no import against the layer rules', () => {
    const { violations, modules } = cruise();
    expect(modules).toBeGreaterThan(100);
    const lines = violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}${v.cycle ? ` (cycle: ${v.cycle.map((c) => c.name).join(' -> ')})` : ''}`);
    expect(lines).toEqual([]);
  });

  it('every top folder of src/ has a README whose "May import" line is the rule the checker enforces', () => {
    const rules = require(join(root, '.dependency-cruiser.cjs')) as { forbidden: { name: string; comment: string }[] };
    const src = join(root, 'src');
    const folders = readdirSync(src).filter((f) => statSync(join(src, f)).isDirectory());
    for (const folder of folders) {
      const readme = join(src, folder, 'README.md');
      expect(existsSync(readme), `src/${folder}/README.md`).toBe(true);
      const rule = rules.forbidden.find((r) => r.name === `layer-${folder}`);
      expect(rule, `a layer rule for src/${folder}`).toBeDefined();
      const allowed = rule!.comment.replace(/^.*may import only: /, '').split(', ').filter((a) => a && a !== 'nothing of the gateway');
      const line = /^May import: (.*)\.$/m.exec(readFileSync(readme, 'utf8'))?.[1] ?? '';
      const documented = [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      expect(documented, `src/${folder}/README.md "May import"`).toEqual(allowed);
    }
  });
});

/**
 * The gateway files a module loads before any `import()` runs: its static imports (not `import type`,
 * not re-exports of types), followed through the gateway's own files.
 */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?'(\.{1,2}\/[^']+)'/gm)) {
      visit(join(file, '..', m[1]).replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return [...seen].sort();
}

describe('what `apigpt serve` loads before it knows its role', () => {
  it("a cluster's primary reaches no gateway module: only the CLI's dispatch, the configuration and the logger", () => {
    // The primary serves nothing; the gateway, the database and the admin commands are `import()`ed
    // by the paths that need them (cli/serve.ts for a worker or a single process, cli/main.ts for the
    // other commands). About 50 MB of RSS per cluster depend on this list staying short.
    expect(staticClosure('src/cli/main.ts')).toEqual([
      'src/cli/args.ts',
      'src/cli/main.ts',
      'src/config/config.ts',
      'src/config/cores.ts',
      'src/config/fields.ts',
      'src/core/dependency-errors.ts',
      'src/core/errors.ts',
    ]);
    expect(staticClosure('src/cli/serve.ts')).toEqual([
      'src/cli/cluster.ts',
      'src/cli/launcher.ts',
      'src/cli/serve.ts',
      'src/config/config.ts',
      'src/config/cores.ts',
      'src/config/fields.ts',
      'src/core/dependency-errors.ts',
      'src/core/heap.ts',
      'src/core/logger.ts',
      'src/relay/metrics.ts',
    ]);
  });
});
