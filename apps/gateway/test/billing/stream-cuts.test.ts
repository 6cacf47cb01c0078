import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '@apigpt/simulator';
import type { ChannelInput } from '../../src/channels/channels.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { audit, setPrice } from './helpers.js';
import { INGRESSES, oneUserTurn, tok, type IngressName } from './stream-clients.js';

/**
 * Streams that end early are charged for what reached the caller (issue 13): the prompt (the
 * provider's figure when it gave one before the end, else the gateway's estimate) plus the tokens
 * of the output the client actually received — never the provider's early or running usage report
 * (Anthropic's `message_start` says 1 output token; Gemini's chunks and ERNIE's events carry running
 * figures) taken as final. Every provider kind that streams text, through every dialect that
 * reaches it, two ways:
 *
 * - the provider cuts the stream after a few content pieces (the simulator's `cut:N`: connection
 *   destroyed, no terminal event): the client reads to the end the gateway writes;
 * - the client hangs up after reading a few pieces, while the provider holds the stream open after
 *   exactly those (the simulator's `stall:N`), so what the gateway delivered is what the client read.
 *
 * Expected figures come from the text the client received, counted here with the tokenizer, and
 * from the prices set here; the prompt is the simulator's documented count of the text without its
 * directive where the provider reported it early, the dialect's framing of the text as sent where not.
 */
const INPUT_PRICE = 3; // P per 1K tokens = 3,000 µP per token
const OUTPUT_PRICE = 7;
const REPLY = 'Early-ended streams are charged for exactly what reached the client, no more and no less.';
const CHUNKS = 6;
const QUESTION = 'How are cut streams billed?';
const SIM_KEY = 'simid.simsecret';

interface ProviderKind {
  kind: string;
  channel(sim: Simulator, model: string): ChannelInput;
  /** Whether the provider's stream states the prompt before its content (so an early end still has the provider's figure). */
  reportsPromptEarly: boolean;
  /** Content pieces of shown reasoning streamed before the answer (DeepSeek's reasoner). */
  reasoningPieces: number;
  /** Whether it serves legacy completions (only OpenAI-shaped servers; they are never translated). */
  completions: boolean;
}

const KINDS: ProviderKind[] = [
  { kind: 'openai', channel: (sim, m) => ({ provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [m]: 'gpt-4o-mini' } }), reportsPromptEarly: false, reasoningPieces: 0, completions: true },
  { kind: 'azure', channel: (sim, m) => ({ provider: 'azure', name: 'azure', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [m]: 'my-deployment' }, settings: { apiVersion: '2024-10-21' } }), reportsPromptEarly: false, reasoningPieces: 0, completions: true },
  { kind: 'openai-compatible', channel: (sim, m) => ({ provider: 'openai-compatible', name: 'compatible', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { [m]: 'qwen2.5-7b-instruct' } }), reportsPromptEarly: false, reasoningPieces: 0, completions: true },
  { kind: 'anthropic', channel: (sim, m) => ({ provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [m]: 'claude-sonnet-4-5' } }), reportsPromptEarly: true, reasoningPieces: 0, completions: false },
  { kind: 'gemini', channel: (sim, m) => ({ provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [m]: 'gemini-2.5-flash' } }), reportsPromptEarly: true, reasoningPieces: 0, completions: false },
  { kind: 'zhipu', channel: (sim, m) => ({ provider: 'zhipu', name: 'zhipu', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, modelMap: { [m]: 'glm-4-plus' } }), reportsPromptEarly: false, reasoningPieces: 0, completions: false },
  { kind: 'chatglm', channel: (sim, m) => ({ provider: 'chatglm', name: 'chatglm', baseUrl: `${sim.url}/chatglm/v1`, secret: null, modelMap: { [m]: 'chatglm3-6b' } }), reportsPromptEarly: false, reasoningPieces: 0, completions: false },
  // The reasoner streams its reasoning first: the cut lands in the answer, so both are delivered.
  { kind: 'deepseek', channel: (sim, m) => ({ provider: 'deepseek', name: 'deepseek', baseUrl: sim.url, secret: SIM_KEY, modelMap: { [m]: 'deepseek-reasoner' } }), reportsPromptEarly: false, reasoningPieces: CHUNKS, completions: false },
  { kind: 'ernie', channel: (sim, m) => ({ provider: 'ernie', name: 'ernie', baseUrl: sim.url, secret: 'ak-test:sk-test', modelMap: { [m]: 'ernie-4.0-8k' } }), reportsPromptEarly: true, reasoningPieces: 0, completions: false },
];

const modelOf = (k: ProviderKind) => `m-${k.kind}`;
const ingressesOf = (k: ProviderKind): IngressName[] => ['openai-chat', ...(k.completions ? (['openai-completions'] as const) : []), 'responses', 'anthropic', 'gemini'];

describe('early-ended streams are charged for what was delivered', () => {
  let t: TestGateway;
  let user: { cookie: string; userId: string; key: string };

  beforeAll(async () => {
    t = await startTestGateway({ db: 'sqlite', channels: (sim) => KINDS.map((k) => k.channel(sim, modelOf(k))) });
    for (const k of KINDS) await setPrice(t, modelOf(k), INPUT_PRICE, OUTPUT_PRICE);
    user = await t.newUserWithKey();
  });
  afterAll(() => t?.close());

  /** The call's request-log row once it is written with its final status, and its ledger charge. */
  async function settled(id: string, status: number) {
    const db = t.gw.services.db;
    return eventually(async () => {
      await t.flushLogs();
      const log = await db.selectFrom('request_logs').selectAll().where('id', '=', id).executeTakeFirst();
      expect(log?.status).toBe(status);
      const charge = await db.selectFrom('ledger').selectAll().where('request_id', '=', id).where('kind', '=', 'charge').executeTakeFirst();
      expect(charge).toBeDefined();
      return { log: log!, charge: charge! };
    });
  }

  async function expectCharged(id: string, status: number, k: ProviderKind, ingress: IngressName, sent: string, received: string[]) {
    const { log, charge } = await settled(id, status);
    const output = tok(received.join(''));
    const prompt = k.reportsPromptEarly ? oneUserTurn(QUESTION) : INGRESSES[ingress].estimate(sent);
    const cost = prompt * INPUT_PRICE * 1000 + output * OUTPUT_PRICE * 1000;
    expect({ prompt: log.prompt_tokens, output: log.completion_tokens, cost: Number(log.cost), charged: -Number(charge.amount) }).toEqual({ prompt, output, cost, charged: cost });
  }

  for (const k of KINDS) {
    for (const name of ingressesOf(k)) {
      const ingress = INGRESSES[name];
      const cutAfter = k.reasoningPieces + 3;
      const leaveAfter = k.reasoningPieces + 2;

      it(`${name} → ${k.kind}: the provider cuts the stream after ${cutAfter} pieces; the charge is the prompt plus the output delivered`, async () => {
        const sent = `${QUESTION} [[sim fault=cut:${cutAfter} chunks=${CHUNKS} reply="${REPLY}"]]`;
        const res = await ingress.send(t.url, user.key, modelOf(k), sent);
        expect(res.status).toBe(200);
        const id = res.headers.get('x-request-id')!;
        // The gateway ends the caller's stream itself (with an in-band error): everything it wrote is read.
        const received = ingress.pieces(await res.text());
        expect(received).toHaveLength(cutAfter);
        await expectCharged(id, 502, k, name, sent, received);
      });

      it(`${name} → ${k.kind}: the client leaves after ${leaveAfter} pieces; the charge is the prompt plus the output it received`, async () => {
        const sent = `${QUESTION} [[sim fault=stall:${leaveAfter} chunks=${CHUNKS} reply="${REPLY}"]]`;
        const res = await ingress.send(t.url, user.key, modelOf(k), sent);
        expect(res.status).toBe(200);
        const id = res.headers.get('x-request-id')!;
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let raw = '';
        // The provider sends nothing after these pieces until the caller has gone: all the gateway
        // delivered is read here before hanging up.
        while (ingress.pieces(raw).length < leaveAfter) {
          const { done, value } = await reader.read();
          if (done) throw new Error(`the stream ended after ${ingress.pieces(raw).length} pieces: ${raw}`);
          raw += decoder.decode(value, { stream: true });
        }
        await reader.cancel();
        const received = ingress.pieces(raw);
        expect(received).toHaveLength(leaveAfter);
        await expectCharged(id, 499, k, name, sent, received);
      });
    }
  }

  it('the books balance after every cut and abandoned stream', async () => {
    const report = await audit(t);
    expect(report.problems).toEqual([]);
  });
});
