/**
 * The admins' `apigpt safety ...` commands, run as the real binary (the built dist) on the SQLite
 * file a running gateway uses: a rule made at the command line blocks the gateway's calls within
 * its reload period, a word file is imported, a text is tested, a policy is set, hits are counted;
 * each change leaves an audit row as `via: cli`.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apigptBin } from '../built-cli.js';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';

const run = promisify(execFile);

/** The part of a relayed chat body these checks read. */
type ChatBody = { messages: { content: unknown }[] };

describe('apigpt safety', () => {
  let t: TestGateway;
  let env: Record<string, string>;
  let key: string;

  async function apigpt(...args: string[]) {
    const bin = apigptBin();
    try {
      const r = await run(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    t = await startTestGateway();
    env = { APIGPT_DATA_DIR: t.config.dataDir, APIGPT_SECRET: t.config.secret! };
    ({ key } = await t.newUserWithKey());
  });
  afterAll(() => t?.close());

  const chat = async (text: string) => {
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }) });
    return { status: res.status, body: (await res.json()) as { error?: { code?: string; message: string } } };
  };

  it('add, import, test, rules, policy, hits, delete', async () => {
    const add = await apigpt('safety', 'add', '--name', 'cli list', '--words', 'moonshine', '--action', 'block', '--json');
    expect(add.code, add.stderr).toBe(0);
    const rule = JSON.parse(add.stdout) as { id: string; words: number };
    expect(rule.words).toBe(1);

    // The running gateway picks the change up by itself (it looks every 5 s).
    await eventually(async () => (await chat('some moonshine please')).status === 400, { timeoutMs: 15_000, intervalMs: 200 });
    expect((await chat('some moonshine please')).body.error?.code).toBe('content_filter');

    const file = join(t.config.dataDir, 'words.txt');
    writeFileSync(file, '\uFEFF# a comment line\nbathtub gin\nhooch, rotgut\n');
    const imported = await apigpt('safety', 'import', rule.id, file, '--json');
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).words).toBe(4);

    const tested = await apigpt('safety', 'test', 'a glass of ＲＯＴＧＵＴ');
    expect(tested.code).toBe(0);
    expect(tested.stdout).toContain('block: cli list (block)');

    const listed = await apigpt('safety', 'rules');
    expect(listed.stdout).toMatch(new RegExp(`${rule.id}\\s+on\\s+block words cli list\\s+4 words`));

    const policy = await apigpt('safety', 'policy', '--scope', 'group', '--target', 'default', '--actions', `${rule.id}=mask`, '--json');
    expect(policy.code, policy.stderr).toBe(0);
    expect(JSON.parse(policy.stdout)).toMatchObject({ scope: 'group', target: 'default', ruleIds: null, actions: { [rule.id]: 'mask' }, moderation: null });
    // Until the gateway has read both the import and the policy, `hooch` is unknown or blocked.
    await eventually(async () => (await chat('some hooch please')).status === 200 && (t.sim.requests.at(-1)!.body as ChatBody).messages[0].content === 'some ***** please', { timeoutMs: 15_000, intervalMs: 200 });

    const bad = await apigpt('safety', 'policy', '--scope', 'group', '--target', 'default', '--rules', 'sfr_nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('No such rule: sfr_nope');

    // Decisions are written in the background: wait for the masked call's own.
    await eventually(async () => (await t.gw.services.db.selectFrom('safety_decisions').select('id').where('rule_id', '=', rule.id).where('action', '=', 'mask').execute()).length > 0);
    const hits = await apigpt('safety', 'hits', '--json');
    const counts = JSON.parse(hits.stdout) as { ruleId: string; action: string; count: number }[];
    expect(counts.find((c) => c.ruleId === rule.id && c.action === 'block')?.count).toBeGreaterThanOrEqual(1);
    expect(counts.find((c) => c.ruleId === rule.id && c.action === 'mask')?.count).toBeGreaterThanOrEqual(1);

    const del = await apigpt('safety', 'delete', rule.id);
    expect(del.code, del.stderr).toBe(0);
    const audit = await t.gw.services.db.selectFrom('audit_log').select(['action', 'via']).where('target_type', 'in', ['safety_rule', 'safety_policy']).execute();
    expect(audit.map((a) => `${a.action}/${a.via}`).sort()).toEqual(['safety_policy.create/cli', 'safety_rule.create/cli', 'safety_rule.delete/cli', 'safety_rule.import/cli']);
    // Nine runs of the binary, each opening the database: more than the default 30 s on a busy machine.
  }, 180_000);
});
