import { afterEach, describe, expect, it } from 'vitest';
import { CountThread } from '../../src/formats/count-thread.js';
import { countedOffLoop, countTokens, EXACT_COUNT, OFF_LOOP_CHARS, type OffLoopCounter } from '../../src/formats/tokens.js';
import { eventually } from '../eventually.js';

/**
 * Large prompts are counted on a worker thread (formats/count-thread.ts): on the event loop a 20 MB
 * body holds every call for seconds, and any caller can ask for a count (a prompt refused by its
 * byte bound, a stream it cuts).
 */
const threads: CountThread[] = [];
afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.close()));
});
const thread = (idleMs?: number) => {
  const t = new CountThread(idleMs);
  threads.push(t);
  return t;
};

describe('the token-count thread', () => {
  it('counts what the loop counts, text by text, long runs of one character included', async () => {
    const texts = ['Hello world!', '你好，世界。今天天气很好。', '中'.repeat(200_000), 'The quick brown fox jumps over the lazy dog. '.repeat(20_000), '!?.,;:'.repeat(50_000), ''];
    expect(await thread().count(texts)).toEqual(texts.map(countTokens));
  });

  it('leaves the event loop free while it counts: the loop turns many times during one large count', async () => {
    // ~3 MB of punctuation: seconds of merging on the loop, where the loop would not turn at all.
    const big = '!?.,;:'.repeat(500_000);
    let turns = 0;
    let done = false;
    const counting = thread()
      .count([big])
      .finally(() => (done = true));
    await new Promise<void>((resolve) => {
      const spin = () => (done ? resolve() : (turns++, setImmediate(spin)));
      setImmediate(spin);
    });
    expect(await counting).toEqual([countTokens(big)]);
    expect(turns).toBeGreaterThan(50);
  });

  it('ends when idle and starts again with the next count', async () => {
    const t = thread(50);
    expect(t.running).toBe(false);
    expect(await t.count(['one two three'])).toEqual([3]);
    expect(t.running).toBe(true);
    await eventually(() => !t.running);
    expect(await t.count(['four five'])).toEqual([2]);
  });

  it('closing fails the counts still waiting, with a reason', async () => {
    const t = thread();
    const waiting = expect(t.count(['!?.,;:'.repeat(500_000)])).rejects.toThrow('the token count thread was closed');
    await t.close();
    await waiting;
    expect(t.running).toBe(false);
  });
});

describe('countedOffLoop: an exact count whose large texts were counted off the loop', () => {
  /** A counter that records what it is asked and answers a figure no tokenizer would (seven per character). */
  const recording = () => {
    const asked: string[][] = [];
    const counter: OffLoopCounter = { count: async (texts) => (asked.push(texts), texts.map((s) => s.length * 7)) };
    return { asked, counter };
  };
  const turns = (contents: string[]) => contents.map((content) => ({ role: 'user', content }));

  it('below the threshold it asks the thread nothing and counts on the loop', async () => {
    const { asked, counter } = recording();
    const small = turns(['x'.repeat(OFF_LOOP_CHARS / 4), 'y'.repeat(OFF_LOOP_CHARS / 4)]);
    const count = await countedOffLoop((c) => c.chat(small), counter);
    expect(asked).toEqual([]);
    expect(count).toBe(EXACT_COUNT);
  });

  it('above it, asks once for every distinct text the reading counts, and answers from the results', async () => {
    const { asked, counter } = recording();
    const a = 'a'.repeat(OFF_LOOP_CHARS);
    const messages = turns([a, 'b', a]);
    const count = await countedOffLoop((c) => {
      c.chat(messages);
      c.text('b');
    }, counter);
    expect(asked).toHaveLength(1);
    expect([...asked[0]].sort()).toEqual([a, 'b', 'user'].sort());
    expect(count.text(a)).toBe(OFF_LOOP_CHARS * 7);
    // A text the reading did not ask for is counted on the loop.
    expect(count.text('hello')).toBe(countTokens('hello'));
    // OpenAI's chat framing (3 + per turn 3 + role + content) over the thread's figures.
    expect(count.chat(messages)).toBe(3 + 3 * (3 + 4 * 7) + 2 * OFF_LOOP_CHARS * 7 + 7);
  });
});
