import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from './helpers.js';

/**
 * Where a call's journal rows are written (batch/journal.ts). A call admitted alone has its intent
 * made durable while the provider answers, on the event loop's own thread (the loop only waits for
 * the provider then), and its charge row is then written without a sync (`lazy`). A call admitted
 * beside others has its charge row made durable itself before its answer completes: in a group,
 * on the event loop while the device's inline writes are quick (`journalInlineBusyMaxUs`), else on
 * the thread pool. With `journalFinalSync` every charge row is made durable itself.
 */
describe('journal rows of calls settling alone and beside others', () => {
  const started: TestGateway[] = [];
  afterAll(async () => {
    for (const t of started) await t.close();
  });

  type Writes = { inline: number; groups: number; lazy: number };

  /**
   * A gateway where no write counts as slow (the stall guard is not what these tests are about),
   * with the busy rule's bound given; three calls made one after the other (each answered after
   * 50 ms, as a provider takes its time); then a quick call while a slow one (its answer after 1 s)
   * is in flight, then the slow one settling alone. Returns the writes each step made.
   */
  async function beside(busyMaxUs: number, finalSync = false) {
    const t = await startTestGateway({ config: { journalInlineMaxMs: 600_000, journalInlineBusyMaxUs: busyMaxUs, journalFinalSync: finalSync } });
    started.push(t);
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    const { key } = await t.newUserWithKey();
    const charges = t.gw.services.billing.charges;
    const writes = (): Writes => {
      const w = charges.journalWrites!;
      return { inline: w.inline, groups: w.groups, lazy: w.lazy };
    };
    const diff = (a: Writes, b: Writes): Writes => ({ inline: b.inline - a.inline, groups: b.groups - a.groups, lazy: b.lazy - a.lazy });
    const s0 = writes();
    for (let i = 0; i < 3; i++) expect((await chat(t, key, { messages: [{ role: 'user', content: `hello ${i} [[sim ttft=50]]` }] })).status).toBe(200);
    const s1 = writes();
    const slow = chat(t, key, { messages: [{ role: 'user', content: 'take your time [[sim ttft=1000]]' }] });
    await eventually(() => expect(t.gw.services.pipeline.active).toBe(1));
    // The slow call's own row first (its intent, or nothing yet with finalSync), so the quick
    // call's rows are the only ones written beside it.
    if (!finalSync) await eventually(() => expect(writes().inline).toBe(s1.inline + 1));
    const s1b = writes();
    expect((await chat(t, key, { messages: [{ role: 'user', content: 'quick' }] })).status).toBe(200);
    const s2 = writes();
    expect((await slow).status).toBe(200);
    const s3 = writes();
    expect(t.gw.services.pipeline.active).toBe(0);
    return { alone: diff(s0, s1), slowIntent: diff(s1, s1b), beside: diff(s1b, s2), last: diff(s2, s3) };
  }

  it('calls alone: each intent is written on the event loop while the provider answers, each charge row without a sync; with the busy rule off (0), the charge of a call beside another goes to a group', async () => {
    expect(await beside(0)).toEqual({
      alone: { inline: 3, groups: 0, lazy: 3 },
      slowIntent: { inline: 1, groups: 0, lazy: 0 },
      beside: { inline: 0, groups: 1, lazy: 0 },
      last: { inline: 0, groups: 0, lazy: 1 },
    });
  });

  it('on a quick device the charge of a call beside another is written on the event loop too', async () => {
    // Any write this machine makes is under 600 s.
    expect((await beside(600_000_000)).beside).toEqual({ inline: 1, groups: 0, lazy: 0 });
  });

  it('on a device slower than the bound, the charge of a call beside another goes to a group', async () => {
    // No durable write of a row takes 1 µs or less.
    expect((await beside(1)).beside).toEqual({ inline: 0, groups: 1, lazy: 0 });
  });

  it('journalFinalSync: no intents; each charge row is durable itself — inline when the call settles alone, in a group beside another', async () => {
    expect(await beside(0, true)).toEqual({
      alone: { inline: 3, groups: 0, lazy: 0 },
      slowIntent: { inline: 0, groups: 0, lazy: 0 },
      beside: { inline: 0, groups: 1, lazy: 0 },
      last: { inline: 1, groups: 0, lazy: 0 },
    });
  });
});
