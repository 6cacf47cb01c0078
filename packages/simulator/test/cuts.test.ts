import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { eventually } from '../../../test-util/eventually.js';
import { parseSse, postJson } from './helpers.js';

/**
 * The `cut:N` and `stall:N` faults on every streamed protocol the simulator speaks: N content
 * pieces arrive (text, reasoning or call arguments, whatever events come around them), then the
 * connection is destroyed (cut) or nothing more comes until the client leaves (stall); either way
 * no terminal event is ever sent.
 */
const REPLY = 'alpha bravo charlie delta echo foxtrot';
const DIRECTIVE = (fault: string) => `Go [[sim fault=${fault} chunks=6 reply="${REPLY}"]]`;

interface Protocol {
  name: string;
  request(sim: Simulator, text: string): Promise<Response>;
  /** The content pieces among the events received so far. */
  pieces(events: { event: string | null; data: string }[]): string[];
  /** Whether the stream's proper end is among them. */
  ended(events: { event: string | null; data: string }[], raw: string): boolean;
}

const json = (d: string): any => (d === '[DONE]' ? null : JSON.parse(d)); // eslint-disable-line @typescript-eslint/no-explicit-any
const chatPieces = (events: { data: string }[]) =>
  events.flatMap((e) => {
    const d = json(e.data)?.choices?.[0]?.delta;
    return [d?.reasoning_content, d?.content].filter((x): x is string => typeof x === 'string' && x !== '');
  });
const doneEnded = (_: unknown, raw: string) => raw.includes('[DONE]');
const openaiChat = (path: string, model: string, headers: Record<string, string> = {}): Protocol => ({
  name: path,
  request: (sim, text) => postJson(sim.url + path, { model, stream: true, messages: [{ role: 'user', content: text }] }, headers),
  pieces: chatPieces,
  ended: doneEnded,
});

let ernieToken = '';
const PROTOCOLS: Protocol[] = [
  openaiChat('/v1/chat/completions', 'gpt-4o'),
  openaiChat('/openai/deployments/dep/chat/completions?api-version=2024-10-21', 'dep'),
  openaiChat('/api/paas/v4/chat/completions', 'glm-4-plus'),
  openaiChat('/chatglm/v1/chat/completions', 'chatglm3-6b'),
  // The reasoner streams its reasoning first: those are the pieces that arrive.
  openaiChat('/chat/completions', 'deepseek-reasoner'),
  {
    name: '/v1/completions',
    request: (sim, text) => postJson(`${sim.url}/v1/completions`, { model: 'gpt-3.5-turbo-instruct', stream: true, max_tokens: 200, prompt: text }),
    pieces: (events) => events.map((e) => json(e.data)?.choices?.[0]?.text).filter((x): x is string => typeof x === 'string' && x !== ''),
    ended: doneEnded,
  },
  {
    name: '/v1/responses',
    request: (sim, text) => postJson(`${sim.url}/v1/responses`, { model: 'gpt-4o', stream: true, input: text }),
    pieces: (events) => events.filter((e) => e.event?.endsWith('.delta')).map((e) => json(e.data).delta),
    ended: (events) => events.some((e) => e.event === 'response.completed' || e.event === 'response.incomplete'),
  },
  {
    name: '/v1/messages',
    request: (sim, text) => postJson(`${sim.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 256, stream: true, messages: [{ role: 'user', content: text }] }, { 'anthropic-version': '2023-06-01' }),
    pieces: (events) => events.filter((e) => e.event === 'content_block_delta').map((e) => json(e.data).delta.text),
    ended: (events) => events.some((e) => e.event === 'message_stop' || e.event === 'message_delta'),
  },
  {
    name: ':streamGenerateContent',
    request: (sim, text) => postJson(`${sim.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, { contents: [{ role: 'user', parts: [{ text }] }] }),
    pieces: (events) => events.map((e) => json(e.data).candidates[0].content.parts[0].text),
    ended: (events) => events.some((e) => json(e.data).candidates[0].finishReason),
  },
  {
    name: 'ERNIE chat',
    request: (sim, text) => postJson(`${sim.url}/rpc/2.0/ai_custom/v1/wenxinworkshop/chat/completions_pro?access_token=${encodeURIComponent(ernieToken)}`, { stream: true, messages: [{ role: 'user', content: text }] }),
    pieces: (events) => events.map((e) => json(e.data).result).filter((x): x is string => typeof x === 'string' && x !== ''),
    ended: (events) => events.some((e) => json(e.data).is_end === true),
  },
];

/** Reads a body to its end (or its break): the text, and whether the connection broke. */
async function readAll(res: Response): Promise<{ raw: string; broken: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let raw = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { raw, broken: false };
      raw += decoder.decode(value, { stream: true });
    }
  } catch {
    return { raw, broken: true };
  }
}

describe('cut and stall faults, every streamed protocol', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
    ernieToken = (await (await fetch(`${sim.url}/oauth/2.0/token?grant_type=client_credentials&client_id=a&client_secret=b`, { method: 'POST' })).json()).access_token;
  });
  afterAll(() => sim.close());

  for (const p of PROTOCOLS) {
    it(`${p.name}: cut:3 sends three content pieces, then destroys the connection`, async () => {
      const res = await p.request(sim, DIRECTIVE('cut:3'));
      expect(res.status).toBe(200);
      const { raw, broken } = await readAll(res);
      expect(broken).toBe(true);
      const events = parseSse(raw);
      expect(p.pieces(events)).toHaveLength(3);
      expect(p.ended(events, raw)).toBe(false);
    });

    it(`${p.name}: stall:2 sends two content pieces, then nothing until the client leaves`, async () => {
      const aborted = sim.stats.aborted;
      const res = await p.request(sim, DIRECTIVE('stall:2'));
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let raw = '';
      while (p.pieces(parseSse(raw)).length < 2) raw += decoder.decode((await reader.read()).value, { stream: true });
      const events = parseSse(raw);
      expect(p.pieces(events)).toHaveLength(2);
      expect(p.ended(events, raw)).toBe(false);
      await reader.cancel();
      // The simulator holds the response open until this client goes away, and records that.
      await eventually(() => expect(sim.stats.aborted).toBe(aborted + 1));
    });
  }

  it('cut:N and stall:N parse as faults, and as instance defaults', async () => {
    const { parseFault } = await import('@apigpt/simulator');
    expect(parseFault('cut:4')).toEqual({ kind: 'cut', afterPieces: 4 });
    expect(parseFault('stall:0')).toEqual({ kind: 'stall', afterPieces: 0 });
    sim.setDefaults({ fault: { kind: 'cut', afterPieces: 1 } });
    try {
      const { raw, broken } = await readAll(await postJson(`${sim.url}/v1/chat/completions`, { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi [[sim chunks=4]]' }] }));
      expect(broken).toBe(true);
      expect(chatPieces(parseSse(raw))).toHaveLength(1);
    } finally {
      sim.setDefaults({ fault: null });
    }
  });
});
