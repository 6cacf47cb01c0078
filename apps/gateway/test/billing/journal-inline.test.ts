import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from './helpers.js';

/**
 * Where a charge's journal row is written (batch/journal.ts): a call that settles alone writes it on
 * the event loop's own thread (no thread-pool round trip before its answer); a call that settles
 * while others are in flight does too while the device's inline writes are quick
 * (`journalInlineBusyMaxUs`), and otherwise leaves it to the thread pool, grouped, so the loop
 * stays free for them.
 */
describe('journal rows of calls settling alone and beside others', () => {
  const started: TestGateway[] = [];
  afterAll(async () => {
    for (const t of started) await t.close();
  });

  /**
   * A gateway where no write counts as slow (the stall guard is not what these tests are about),
   * with the busy rule's bound given; three calls made one after the other, each journaled inline
   * (the device's speed is then known); then a quick call settling while a slow one (its answer
   * after 1 s) is in flight, then the slow one settling alone. Returns the writes each step made.
   */
  async function beside(busyMaxUs: number) {
    const t = await startTestGateway({ config: { journalInlineMaxMs: 600_000, journalInlineBusyMaxUs: busyMaxUs } });
    started.push(t);
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    const { key } = await t.newUserWithKey();
    const charges = t.gw.services.billing.charges;
    const writes = () => ({ ...charges.journalWrites! });
    const diff = (a: { inline: number; groups: number }, b: { inline: number; groups: number }) => ({ inline: b.inline - a.inline, groups: b.groups - a.groups });
    const s0 = writes();
    for (let i = 0; i < 3; i++) expect((await chat(t, key, { messages: [{ role: 'user', content: `hello ${i}` }] })).status).toBe(200);
    const s1 = writes();
    const slow = chat(t, key, { messages: [{ role: 'user', content: 'take your time [[sim ttft=1000]]' }] });
    await eventually(() => expect(t.gw.services.pipeline.active).toBe(1));
    expect((await chat(t, key, { messages: [{ role: 'user', content: 'quick' }] })).status).toBe(200);
    const s2 = writes();
    expect((await slow).status).toBe(200);
    const s3 = writes();
    expect(t.gw.services.pipeline.active).toBe(0);
    return { alone: diff(s0, s1), beside: diff(s1, s2), last: diff(s2, s3) };
  }

  it('sequential calls are journaled inline; with the busy rule off (0), a call settling beside another goes to a group', async () => {
    expect(await beside(0)).toEqual({ alone: { inline: 3, groups: 0 }, beside: { inline: 0, groups: 1 }, last: { inline: 1, groups: 0 } });
  });

  it('on a quick device a call settling beside another is journaled inline too', async () => {
    // Any write this machine makes is under 600 s.
    expect(await beside(600_000_000)).toEqual({ alone: { inline: 3, groups: 0 }, beside: { inline: 1, groups: 0 }, last: { inline: 1, groups: 0 } });
  });

  it('on a device slower than the bound, a call settling beside another goes to a group', async () => {
    // No durable write of a row takes 1 µs or less.
    expect(await beside(1)).toEqual({ alone: { inline: 3, groups: 0 }, beside: { inline: 0, groups: 1 }, last: { inline: 1, groups: 0 } });
  });
});
