import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogOnlyPolicy, type CallPolicy } from '../../src/relay/policy.js';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';

/**
 * A stream's terminal event (OpenAI's `data: [DONE]`, Anthropic's `message_stop`) waits until the
 * call's charge is durable (`Admission.settle`); everything before it flows at once — also when the
 * provider sends the whole stream in one write, so it reaches the gateway in one read (the
 * simulator without a chunk delay does). Before, such a short stream was held whole until the
 * charge was written: its first byte came no sooner than its last.
 *
 * The charge's durability is the policy's promise: here a policy whose settlements wait for the
 * test, so what the caller holds in between can be read.
 */
describe('a short stream: its content flows before the charge is durable, its ending only after', () => {
  let t: TestGateway;
  let key: string;
  /** Settlements waiting for the test (each resolves once the test releases it). */
  const waiting: (() => void)[] = [];

  beforeAll(async () => {
    const policy = (_storage: unknown, writer: ConstructorParameters<typeof LogOnlyPolicy>[0]): CallPolicy => {
      const inner = new LogOnlyPolicy(writer);
      return {
        async admit() {
          const admission = await inner.admit();
          return { settle: (o) => new Promise<void>((resolve) => waiting.push(() => resolve(admission.settle(o)))) };
        },
      };
    };
    t = await startTestGateway({
      simulator: { apiKey: 'sk-sim-ending' },
      channels: (sim) => [{ provider: 'openai-compatible', name: 'oai', baseUrl: `${sim.url}/v1`, secret: 'sk-sim-ending', models: ['gpt-4o-mini'] }],
      start: { policy },
    });
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  /** Sends a streamed call and reads its body as it arrives (`status` once the headers came). */
  function streamCall(path: string, body: unknown, signal?: AbortSignal) {
    const state = { status: null as number | null, text: '', ended: false };
    const done = (async () => {
      const res = await fetch(`${t.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
      state.status = res.status;
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return void (state.ended = true);
        state.text += decoder.decode(value, { stream: true });
      }
    })();
    return { state, done };
  }

  /**
   * Sends a short streamed call and waits until its content (up to `lastWord`) has arrived and its
   * settlement is pending; `finish` releases the settlement and waits for the end of the answer.
   */
  async function pendingCall(path: string, body: unknown, lastWord: string) {
    const { state, done } = streamCall(path, body);
    await eventually(() => expect(state.text).toContain(lastWord));
    await eventually(() => expect(waiting).toHaveLength(1));
    const finish = async () => {
      waiting.shift()!();
      await done;
    };
    return { state, finish };
  }

  it('OpenAI chat passed through: the deltas arrive while the charge is pending; [DONE] and the end after it', async () => {
    const { state, finish } = await pendingCall(
      '/v1/chat/completions',
      { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Say it [[sim reply="alpha beta gamma delta" chunks=4]]' }] },
      'delta',
    );
    // Every content event is here, the finish reason too; the terminal event and the end are not.
    expect(state.text).toContain('"finish_reason":"stop"');
    expect({ done: state.text.includes('[DONE]'), ended: state.ended }).toEqual({ done: false, ended: false });
    await finish();
    expect(state.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(state.text.match(/\[DONE\]/g)).toHaveLength(1);
  });

  it('Anthropic caller on an OpenAI provider (translated): content_block_delta arrives while pending; message_stop after', async () => {
    const { state, finish } = await pendingCall(
      '/v1/messages',
      { model: 'gpt-4o-mini', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'Say it [[sim reply="one two three four" chunks=4]]' }] },
      'four',
    );
    expect(state.text).toContain('event: content_block_delta');
    expect({ stop: state.text.includes('message_stop'), ended: state.ended }).toEqual({ stop: false, ended: false });
    await finish();
    expect(state.text.trimEnd().endsWith('data: {"type":"message_stop"}')).toBe(true);
  });

  it('with another call in flight, the content that came with the terminal event waits with it: one write', async () => {
    // A stream of five seconds keeps a second call in flight.
    const long = streamCall('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Go on [[sim delay=200 chunks=25]]' }] });
    await eventually(() => expect(long.state.text).toContain('data: '));
    const { state, done } = streamCall('/v1/chat/completions', {
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'Say it [[sim reply="alpha beta gamma delta" chunks=4]]' }],
    });
    // The short stream was read whole and its charge is pending: nothing of it was written, not even
    // its headers (a plain request answered meanwhile on another connection shows the loop moved on).
    await eventually(() => expect(waiting).toHaveLength(1));
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect({ status: state.status, text: state.text }).toEqual({ status: null, text: '' });
    waiting.shift()!();
    await done;
    expect(state.status).toBe(200);
    expect(state.text).toContain('delta');
    expect(state.text.endsWith('data: [DONE]\n\n')).toBe(true);
    // The long stream ends; its settlement waits here like any other, then its ending goes out.
    expect(long.state.ended).toBe(false);
    await eventually(() => expect(waiting).toHaveLength(1), { timeoutMs: 30_000 });
    waiting.shift()!();
    await long.done;
    expect(long.state.text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});
