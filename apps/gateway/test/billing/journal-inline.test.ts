import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from './helpers.js';

/**
 * Where a charge's journal row is written (batch/journal.ts): a call admitted alone writes its
 * intent (its reservation) on the event loop's own thread while its provider works, and its final
 * row later without waiting for the device; a call that settles while others are in flight, and was
 * admitted beside them, leaves its row to the thread pool, grouped, so the loop stays free for them.
 */
describe('journal rows of calls settling alone and beside others', () => {
  let t: TestGateway;
  afterAll(async () => {
    await t?.close();
  });

  it('sequential calls write their intents while the provider works and their final rows after them; a call admitted and settling beside another goes to a group', async () => {
    // The disk's speed is not what this test is about: no write counts as slow.
    t = await startTestGateway({ config: { journalInlineMaxMs: 600_000 } });
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    const { key } = await t.newUserWithKey();
    const charges = t.gw.services.billing.charges;
    const writes = () => ({ ...charges.journalWrites!, ...charges.journalIntents! });
    const start = writes();
    for (let i = 0; i < 3; i++) expect((await chat(t, key, { messages: [{ role: 'user', content: `hello ${i}` }] })).status).toBe(200);
    // One device write per call, its intent, on the thread pool; none on the event loop, none waited for at the answer.
    expect(writes()).toEqual({ inline: start.inline, groups: start.groups + 3, intents: start.intents + 3, concluded: start.concluded + 3 });

    // A slow call (its answer after 1 s) admitted alone, in flight while a quick one runs and settles.
    const slow = chat(t, key, { messages: [{ role: 'user', content: 'take your time [[sim ttft=1000]]' }] });
    await eventually(() => expect(writes().intents).toBe(start.intents + 4));
    expect(t.gw.services.pipeline.active).toBe(1);
    expect((await chat(t, key, { messages: [{ role: 'user', content: 'quick' }] })).status).toBe(200);
    // The quick one had company: no intent, its row in a group of its own.
    expect(writes()).toEqual({ inline: start.inline, groups: start.groups + 5, intents: start.intents + 4, concluded: start.concluded + 3 });
    // The slow one concludes its intent.
    expect((await slow).status).toBe(200);
    expect(writes()).toEqual({ inline: start.inline, groups: start.groups + 5, intents: start.intents + 4, concluded: start.concluded + 4 });
    expect(t.gw.services.pipeline.active).toBe(0);
  });
});
