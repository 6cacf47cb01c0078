import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { parseSse, postJson, tok } from './helpers.js';

/**
 * Reasoning signatures: Anthropic's signed thinking (and redacted thinking) and Gemini's
 * thoughtSignature are issued by the simulator and checked when a later turn sends them back, so a
 * gateway that changes or drops them is caught where the provider would catch it.
 */
const KEY = 'sk-sig-test';
const ANT = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
const GEM = { 'x-goog-api-key': KEY };
const REDACT = 'ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253';
const TOOL = { name: 'Read', description: 'Reads a file.', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
});
afterAll(() => sim.close());

type Block = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const messages = (body: Record<string, unknown>) => postJson(`${sim.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, ...body }, ANT);

/** A first turn that calls the Read tool, and the next turn's messages built from its answer. */
async function toolTurn(text = 'Read a.ts [[sim tool=Read args="{\\"path\\":\\"a.ts\\"}"]]') {
  const first = [{ role: 'user', content: text }];
  const r = await (await messages({ tools: [TOOL], messages: first })).json();
  const call = r.content.find((b: Block) => b.type === 'tool_use');
  const next = (assistant: Block[]) => [...first, { role: 'assistant', content: assistant }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'export {}' }] }];
  return { answer: r, content: r.content as Block[], next };
}

describe('Anthropic extended thinking', () => {
  it('answers with a signed thinking block ahead of the reply; its tokens are output tokens', async () => {
    const r = await (await messages({ messages: [{ role: 'user', content: 'Why is the sky blue?' }] })).json();
    expect(r.content.map((b: Block) => b.type)).toEqual(['thinking', 'text']);
    expect(r.content[0].signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(r.usage.output_tokens).toBe(tok(r.content[0].thinking) + tok(r.content[1].text));
  });

  it('adaptive thinking thinks too; without thinking there is no thinking block', async () => {
    const adaptive = await (await messages({ thinking: { type: 'adaptive' }, messages: [{ role: 'user', content: 'Hi' }] })).json();
    expect(adaptive.content[0].type).toBe('thinking');
    const off = await (await messages({ thinking: undefined, messages: [{ role: 'user', content: 'Hi' }] })).json();
    expect(off.content.map((b: Block) => b.type)).toEqual(['text']);
  });

  it('streams thinking_delta pieces, then one signature_delta, then the reply block at the next index', async () => {
    const res = await messages({ stream: true, messages: [{ role: 'user', content: 'Why is the sky blue?' }] });
    const events = parseSse(await res.text()).map((e) => JSON.parse(e.data));
    const start = events.filter((e) => e.type === 'content_block_start');
    expect(start.map((e) => [e.index, e.content_block.type])).toEqual([[0, 'thinking'], [1, 'text']]);
    expect(start[0].content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
    const deltas = events.filter((e) => e.type === 'content_block_delta' && e.index === 0).map((e) => e.delta.type);
    expect(deltas.filter((t) => t === 'thinking_delta').length).toBeGreaterThan(1);
    expect(deltas[deltas.length - 1]).toBe('signature_delta');
    expect(deltas.filter((t) => t === 'signature_delta')).toHaveLength(1);
  });

  it('the tool loop goes on when the thinking comes back unchanged', async () => {
    const t = await toolTurn();
    expect(t.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    const res = await messages({ tools: [TOOL], messages: t.next(t.content) });
    expect(res.status).toBe(200);
    expect((await res.json()).stop_reason).toBe('end_turn');
  });

  it('a changed thinking text is refused with Anthropic\'s 400 naming the block', async () => {
    const t = await toolTurn();
    const changed = [{ ...t.content[0], thinking: t.content[0].thinking + ' ' }, t.content[1]];
    const res = await messages({ tools: [TOOL], messages: t.next(changed) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'messages.1.content.0: Invalid `signature` in `thinking` block' }, request_id: 'req_sim' });
  });

  it('a changed or made-up signature is refused; a missing one is a missing field', async () => {
    const t = await toolTurn();
    const forged = await messages({ tools: [TOOL], messages: t.next([{ ...t.content[0], signature: 'EqQBCkgIAxABGAIiQL8Yv2p4ZkE3' }, t.content[1]]) });
    expect(forged.status).toBe(400);
    expect((await forged.json()).error.message).toBe('messages.1.content.0: Invalid `signature` in `thinking` block');
    const { signature: _s, ...unsigned } = t.content[0];
    const missing = await messages({ tools: [TOOL], messages: t.next([unsigned, t.content[1]]) });
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toEqual({ type: 'invalid_request_error', message: 'messages.1.content.0.thinking.signature: Field required' });
  });

  it('dropping the thinking of the loop\'s turn is refused (the turn must begin with it)', async () => {
    const t = await toolTurn();
    const res = await messages({ tools: [TOOL], messages: t.next([t.content[1]]) });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/^messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`/);
  });

  it('the trigger string gets a redacted_thinking block whose data must come back unchanged', async () => {
    const t = await toolTurn(`${REDACT} Read a.ts [[sim tool=Read args="{\\"path\\":\\"a.ts\\"}"]]`);
    expect(t.content.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'tool_use']);
    expect((await messages({ tools: [TOOL], messages: t.next(t.content) })).status).toBe(200);
    const tampered = [t.content[0], { ...t.content[1], data: Buffer.from('x.y').toString('base64') }, t.content[2]];
    const res = await messages({ tools: [TOOL], messages: t.next(tampered) });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toBe('messages.1.content.1: Invalid `data` in `redacted_thinking` block');
  });

  it('signatures are per simulator instance: another instance\'s thinking is refused', async () => {
    const t = await toolTurn();
    const other = await startSimulator({ apiKey: KEY });
    try {
      const res = await postJson(`${other.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 }, tools: [TOOL], messages: t.next(t.content) }, ANT);
      expect(res.status).toBe(400);
    } finally {
      await other.close();
    }
  });
});

describe('Gemini thought signatures', () => {
  const tools = [{ functionDeclarations: [{ name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } }] }];
  const ask = 'Read a.ts [[sim tool=read_file args="{\\"path\\":\\"a.ts\\"}"]]';
  const generate = (model: string, contents: unknown[], op = 'generateContent') => postJson(`${sim.url}/v1beta/models/${model}:${op}${op.startsWith('stream') ? '?alt=sse' : ''}`, { contents, tools }, GEM);
  const next = (model: Block, call: Block) => [{ role: 'user', parts: [{ text: ask }] }, model, { role: 'user', parts: [{ functionResponse: { name: call.functionCall.name, response: { output: 'export {}' } } }] }];

  it('a thinking model signs its function call; the loop goes on when it comes back unchanged', async () => {
    const r = await (await generate('gemini-3-pro-preview', [{ role: 'user', parts: [{ text: ask }] }])).json();
    const turn = r.candidates[0].content;
    expect(turn.parts[0].functionCall.name).toBe('read_file');
    expect(typeof turn.parts[0].thoughtSignature).toBe('string');
    const res = await generate('gemini-3-pro-preview', next(turn, turn.parts[0]));
    expect(res.status).toBe(200);
    expect((await res.json()).candidates[0].content.parts[0].text).toContain('export {}');
  });

  it('a text answer carries its signature on its last part, streamed too', async () => {
    const plain = await (await generate('gemini-2.5-flash', [{ role: 'user', parts: [{ text: 'Hi' }] }])).json();
    expect(typeof plain.candidates[0].content.parts[0].thoughtSignature).toBe('string');
    const chunks = parseSse(await (await generate('gemini-2.5-flash', [{ role: 'user', parts: [{ text: 'Hi' }] }], 'streamGenerateContent')).text()).map((e) => JSON.parse(e.data));
    const signedAt = chunks.map((c, i) => (c.candidates[0].content.parts.some((p: Block) => p.thoughtSignature) ? i : -1)).filter((i) => i >= 0);
    expect(signedAt).toEqual([chunks.length - 1]);
  });

  it('a changed signature, or changed arguments under it, is refused (400 INVALID_ARGUMENT)', async () => {
    const turn = (await (await generate('gemini-2.5-flash', [{ role: 'user', parts: [{ text: ask }] }])).json()).candidates[0].content;
    const part = turn.parts[0];
    for (const changed of [{ ...part, thoughtSignature: part.thoughtSignature.slice(1) }, { ...part, functionCall: { ...part.functionCall, args: { path: 'b.ts' } } }]) {
      const res = await generate('gemini-2.5-flash', next({ role: 'model', parts: [changed] }, changed));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 400, message: 'Corrupted thought signature.', status: 'INVALID_ARGUMENT' } });
    }
  });

  it('Gemini 3 refuses a current-turn function call sent back without its signature; Gemini 2.5 takes it', async () => {
    const unsigned = (model: string) => generate(model, next({ role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'a.ts' } } }] }, { functionCall: { name: 'read_file' } }));
    const three = await unsigned('gemini-3-pro-preview');
    expect(three.status).toBe(400);
    expect((await three.json()).error.message).toMatch(/^Function call is missing a thought_signature in functionCall parts\..*`default_api:read_file` , position 2\./);
    expect((await unsigned('gemini-2.5-flash')).status).toBe(200);
  });
});
