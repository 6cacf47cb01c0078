/**
 * The examples people copy, run as written against a real gateway: every README block marked
 * `<!-- example:python|shell|typescript -->` (Python with the machine's python3, shell lines with
 * `python` meaning it, TypeScript as an ES module importing `@apigpt/sdk`), and the console's "API
 * Integration" samples for both SDKs, filled in with a real key as the page fills them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeSamples } from '../../../apps/console/src/lib/codeSamples.js';
import { ensureSdkBuilt } from './build.js';
import { startSdkGateway, type SdkGateway } from './gateway.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PY_SRC = join(ROOT, 'python/aigccloud/src');
const PYTHON = process.env.PYTHON ?? 'python3';
const simulatedReply = (text: string) => `This is a simulated reply to "${text}". The quick brown fox jumps over the lazy dog.`;

interface Example {
  kind: 'python' | 'shell' | 'typescript';
  code: string;
  line: number;
}

/** The marked code blocks of the README, in order. */
function readmeExamples(): Example[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const out: Example[] = [];
  const re = /<!-- example:(python|shell|typescript) -->\n```\w*\n([\s\S]*?)\n```/g;
  for (let m; (m = re.exec(readme)); ) out.push({ kind: m[1] as Example['kind'], code: m[2], line: readme.slice(0, m.index).split('\n').length });
  return out;
}

const EXAMPLES = readmeExamples();

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, timeout: 60_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('examples run as written', () => {
  let g: SdkGateway;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ensureSdkBuilt();
    g = await startSdkGateway();
    dir = mkdtempSync(join(tmpdir(), 'apigpt-examples-'));
    // `@apigpt/sdk` resolves to the built package from here, as it would once installed.
    mkdirSync(join(dir, 'node_modules/@apigpt'), { recursive: true });
    symlinkSync(join(ROOT, 'packages/sdk'), join(dir, 'node_modules/@apigpt/sdk'));
    // `python` in the README's commands is this machine's python3.
    mkdirSync(join(dir, 'bin'));
    symlinkSync(await which(PYTHON), join(dir, 'bin/python'));
    env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, PYTHONPATH: PY_SRC, PYTHONDONTWRITEBYTECODE: '1', NO_PROXY: '127.0.0.1,localhost', AIGCCLOUD_BASE_URL: g.url, AIGCCLOUD_API_KEY: g.key };
  });
  afterAll(async () => {
    await g?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the README has examples of each kind', () => {
    expect(EXAMPLES.map((e) => e.kind).sort()).toEqual(expect.arrayContaining(['python', 'shell', 'typescript']));
  });

  it.each(EXAMPLES.map((e, i) => [`${e.kind} example at README.md:${e.line}`, i] as const))('%s', async (_name, i) => {
    const ex = EXAMPLES[i];
    if (ex.kind === 'python') {
      const r = await run(PYTHON, ['-c', ex.code], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      if (ex.code.includes('"你好"')) expect(r.stdout.startsWith(`${simulatedReply('你好')}\n`)).toBe(true);
      return;
    }
    if (ex.kind === 'typescript') {
      const file = join(dir, `example-${i}.mjs`);
      writeFileSync(file, ex.code);
      const r = await run(process.execPath, [file], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      if (ex.code.includes("'你好'")) expect(r.stdout.startsWith(`${simulatedReply('你好')}\n`)).toBe(true);
      return;
    }
    for (const line of ex.code.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean)) {
      const r = await run('sh', ['-c', line], { cwd: dir, env });
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      if (line.includes('chat "你好"')) expect(r.stdout).toBe(`${simulatedReply('你好')}\n`);
      if (line.includes('-o cat.png')) expect([...readFileSync(join(dir, 'cat.png')).subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    }
  });

  describe("the console's API Integration samples", () => {
    const model = 'gpt-4o-mini';

    it('aigccloud (Python)', async () => {
      const sample = codeSamples(g.url, g.key, model).find((s) => s.lang === 'aigccloud')!;
      const r = await run(PYTHON, ['-c', sample.code], { cwd: dir, env: { ...env, AIGCCLOUD_API_KEY: '', AIGCCLOUD_BASE_URL: '' } });
      expect(r.code, r.stderr).toBe(0);
      await expectReplyAndBalance(r.stdout);
    });

    it('@apigpt/sdk (TypeScript)', async () => {
      const sample = codeSamples(g.url, g.key, model).find((s) => s.lang === 'sdk')!;
      const file = join(dir, 'console-sample.mjs');
      writeFileSync(file, sample.code);
      const r = await run(process.execPath, [file], { cwd: dir, env: { ...env, AIGCCLOUD_API_KEY: '', AIGCCLOUD_BASE_URL: '' } });
      expect(r.code, r.stderr).toBe(0);
      await expectReplyAndBalance(r.stdout);
    });

    /** The reply, then the balance after it: the trial credit less what the account's calls cost. */
    async function expectReplyAndBalance(stdout: string) {
      const [reply, balance, rest] = stdout.split('\n');
      expect(reply).toBe(simulatedReply('Hello!'));
      expect(rest).toBe('');
      const logs = await g.t.api<{ items: { cost: number }[] }>('GET', '/api/logs?limit=1000', undefined, { cookie: g.cookie });
      const account = await g.t.api<{ balance: number }>('GET', '/api/billing/account', undefined, { cookie: g.cookie });
      // Python's print(float) and JavaScript's String(number) both write the shortest exact form.
      expect(balance).toBe(`${String(account.body.balance)} P left`);
      expect(account.body.balance).toBeCloseTo(5000 - logs.body.items.reduce((n, l) => n + l.cost, 0), 6);
    }
  });
});

async function which(cmd: string): Promise<string> {
  if (cmd.includes('/')) return cmd;
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, cmd);
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  throw new Error(`${cmd} is not on PATH`);
}
