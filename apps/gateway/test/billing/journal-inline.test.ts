import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from './helpers.js';

/**
 * Where a charge's journal row is written (batch/journal.ts): a call that settles alone writes it on
 * the event loop's own thread (no thread-pool round trip before its answer); a call that settles
 * while others are in flight leaves it to the thread pool, grouped, so the loop stays free for them.
 */
describe('journal rows of calls settling alone and beside others', () => {
  let t: TestGateway;
  afterAll(async () => {
    await t?.close();
  });

  it('sequential calls are journaled inline; a call settling while another is in flight goes to a group', async () => {
    // The disk's speed is not what this test is about: no write counts as slow.
    t = await startTestGateway({ config: { journalInlineMaxMs: 600_000 } });
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    const { key } = await t.newUserWithKey();
    const charges = t.gw.services.billing.charges;
    const writes = () => ({ ...charges.journalWrites! });
    const start = writes();
    for (let i = 0; i < 3; i++) expect((await chat(t, key, { messages: [{ role: 'user', content: `hello ${i}` }] })).status).toBe(200);
    expect(writes()).toEqual({ inline: start.inline + 3, groups: start.groups });

    // A slow call (its answer after 1 s) in flight while a quick one settles.
    const slow = chat(t, key, { messages: [{ role: 'user', content: 'take your time [[sim ttft=1000]]' }] });
    await eventually(() => expect(t.gw.services.pipeline.active).toBe(1));
    expect((await chat(t, key, { messages: [{ role: 'user', content: 'quick' }] })).status).toBe(200);
    expect(writes()).toEqual({ inline: start.inline + 3, groups: start.groups + 1 });
    // The slow one settles alone.
    expect((await slow).status).toBe(200);
    expect(writes()).toEqual({ inline: start.inline + 4, groups: start.groups + 1 });
    expect(t.gw.services.pipeline.active).toBe(0);
  });
});
