/**
 * A call in flight when its gateway dies (batch/journal.ts, "Intents"). Its intent — the log row
 * so far and the credit reserved — was made durable while the provider worked; its charge row was
 * never written. If only the process died (the machine kept its page cache), the call was never
 * answered: nothing is charged. If the machine restarted (a power cut may have lost charge rows
 * written in the last milliseconds), whether it was answered is unknown: it is charged its
 * reservation, marked `interrupted`. A call answered before the kill is charged its cost once,
 * either way, and `billing check` is clean after both.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { eventually } from '../eventually.js';
import { expectCleanAudit, kill9, startProc, stopProc, userWithKey, type Proc } from './procs.js';

const ROOT_TOKEN = `root-${randomBytes(12).toString('hex')}`;

/** The journal's intents that have no charge row yet: id → the credit reserved. */
function openIntents(journalDir: string): Map<string, number> {
  const intents = new Map<string, number>();
  const charged = new Set<string>();
  for (const f of readdirSync(journalDir).filter((n) => n.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(journalDir, f), 'utf8').split(/[\n\0]+/)) {
      if (!line) continue;
      const v = JSON.parse(line);
      if (v.intent) intents.set(v.intent.id, v.reserved);
      else charged.add(v.id);
    }
  }
  for (const id of charged) intents.delete(id);
  return intents;
}

describe('a gateway that dies with a call in flight', () => {
  let sim: Simulator;
  const dirs: string[] = [];
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs) await kill9(p);
    await sim?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function dieDuringCall(machineRestarted: boolean) {
    sim ??= await startSimulator();
    const dir = mkdtempSync(join(tmpdir(), 'apigpt-restart-'));
    dirs.push(dir);
    const env = { APIGPT_ROOT_TOKEN: ROOT_TOKEN, OPENAI_COMPATIBLE_BASE_URL: `${sim.url}/v1`, OPENAI_COMPATIBLE_MODELS: 'gpt-4o-mini', APIGPT_ADMIN_PASSWORD: 'admin-password-1' };
    let gw = await startProc(dir, env);
    procs.push(gw);
    const { userId, key } = await userWithKey(gw.base);
    const call = (content: string) =>
      fetch(`${gw.base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content }] }),
      });
    const answered = await call('hello [[sim ttft=50]]');
    expect(answered.status).toBe(200);
    const answeredId = answered.headers.get('x-request-id')!;
    await answered.json();
    // The provider takes a minute: the call is in flight, its intent on the device.
    const inFlight = call('take your time [[sim ttft=60000]]').catch(() => null);
    const journal = join(dir, 'journal');
    const [[inFlightId, reserved]] = await eventually(() => {
      const open = [...openIntents(journal)];
      expect(open).toHaveLength(1);
      return open;
    });
    expect(reserved).toBeGreaterThan(0);
    await kill9(gw);
    expect(await inFlight).toBe(null);
    if (machineRestarted) {
      const lock = readdirSync(journal).find((n) => n.endsWith('.lock'))!;
      const l = JSON.parse(readFileSync(join(journal, lock), 'utf8'));
      writeFileSync(join(journal, lock), JSON.stringify({ ...l, boot: 'a-boot-before-the-power-cut' }));
    }
    gw = await startProc(dir, env); // replays the journal before it serves
    procs.push(gw);
    const db = await import('better-sqlite3');
    const sqlite = new db.default(join(dir, 'apigpt.db'), { readonly: true });
    let logs: { id: string; cost: number; status: number; error_code: string | null }[];
    let charges: { request_id: string; amount: number }[];
    try {
      logs = sqlite.prepare('select id, cost, status, error_code from request_logs where user_id = ? and cost > 0 order by created_at').all(userId) as typeof logs;
      charges = sqlite.prepare("select request_id, amount from ledger where user_id = ? and kind = 'charge' order by created_at").all(userId) as typeof charges;
    } finally {
      sqlite.close();
    }
    expect(await stopProc(gw)).toBe(0);
    await expectCleanAudit(dir, {});
    return { answeredId, inFlightId, reserved, logs, charges };
  }

  it('the process alone died: the call in flight is not charged, the answered one is charged once', async () => {
    const r = await dieDuringCall(false);
    expect(r.logs.map((l) => [l.id, l.status, l.error_code])).toEqual([[r.answeredId, 200, null]]);
    expect(r.charges.map((c) => [c.request_id, -c.amount])).toEqual([[r.answeredId, r.logs[0].cost]]);
  }, 180_000);

  it('the machine restarted: the call in flight is charged its reservation, marked interrupted; the answered one its cost, once', async () => {
    const r = await dieDuringCall(true);
    const answered = r.logs.find((l) => l.id === r.answeredId)!;
    expect(r.logs.map((l) => [l.id, l.status, l.error_code]).sort()).toEqual(
      [
        [r.answeredId, 200, null],
        [r.inFlightId, 0, 'interrupted'],
      ].sort(),
    );
    expect(r.logs.find((l) => l.id === r.inFlightId)!.cost).toBe(r.reserved);
    expect(r.charges.map((c) => [c.request_id, -c.amount]).sort()).toEqual(
      [
        [r.answeredId, answered.cost],
        [r.inFlightId, r.reserved],
      ].sort(),
    );
  }, 180_000);
});
