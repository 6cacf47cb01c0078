import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { call, PNG_1PX, type Conversation, type IngressName } from './clients.js';
import { allChannels, modelFor, NO_BILLING, PROVIDERS, SIM_KEY } from './providers.js';

/**
 * Every ingress dialect × every provider, generated from one table: plain text, streamed text, a
 * tool call and its round trip (plain and streamed), and an image input. Each provider is a channel
 * on the simulator, which checks each provider's own credentials and wire shape.
 */
const INGRESSES: IngressName[] = ['openai', 'anthropic', 'gemini'];

interface Case {
  name: string;
  conv: Conversation;
  check(a: Awaited<ReturnType<typeof call>>, ctx: { upstream: any; provider: (typeof PROVIDERS)[number]; ingress: IngressName }): void; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const SYSTEM = 'You are terse.';
const TOOL_RESULT = { id: 'call_weather_1', name: 'get_weather', args: { city: 'Paris' }, result: '{"temp_c":21}' };

const CASES: Case[] = [
  {
    name: 'plain text',
    conv: { system: SYSTEM, user: 'Say hello' },
    check(a, { upstream, provider }) {
      expect(a.text).toBe('This is a simulated reply to "Say hello". The quick brown fox jumps over the lazy dog.');
      expect(a.finish).toBe('stop');
      expect(provider.systemOf(upstream)).toContain(SYSTEM);
    },
  },
  {
    name: 'streamed text',
    conv: { system: SYSTEM, user: 'Stream please [[sim chunks=5]]', stream: true },
    check(a, { upstream, provider }) {
      expect(a.text).toBe('This is a simulated reply to "Stream please". The quick brown fox jumps over the lazy dog.');
      expect(a.finish).toBe('stop');
      expect(provider.systemOf(upstream)).toContain(SYSTEM);
    },
  },
  {
    name: 'tool call',
    conv: { user: 'What is the weather in Paris?', tools: true },
    check(a, { provider, ingress }) {
      expect(a.finish).toBe('tool');
      expect(a.toolCalls).toHaveLength(1);
      expect(a.toolCalls[0]).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });
      // Gemini itself sends no call ids; every translated answer carries one for the round trip.
      if (!(ingress === 'gemini' && provider.name === 'gemini')) expect(a.toolCalls[0].id).toBeTruthy();
    },
  },
  {
    name: 'streamed tool call',
    conv: { user: 'What is the weather in Paris? [[sim chunks=4]]', tools: true, stream: true },
    check(a) {
      expect(a.finish).toBe('tool');
      expect(a.toolCalls).toHaveLength(1);
      expect(a.toolCalls[0]).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });
    },
  },
  {
    name: 'tool result round trip',
    conv: { user: 'What is the weather in Paris?', tools: true, toolResult: TOOL_RESULT },
    check(a) {
      expect(a.finish).toBe('stop');
      expect(a.text).toMatch(/^The tool returned: /);
      expect(a.text).toContain('21');
    },
  },
  {
    name: 'streamed tool result round trip',
    conv: { user: 'What is the weather in Paris?', tools: true, toolResult: TOOL_RESULT, stream: true },
    check(a) {
      expect(a.finish).toBe('stop');
      expect(a.text).toContain('21');
    },
  },
  {
    name: 'image input',
    conv: { user: 'Describe this picture', image: { mime: 'image/png', data: PNG_1PX } },
    check(a) {
      expect(a.text).toMatch(/^I see 1 image\. /);
    },
  },
  {
    name: 'stop sequence',
    conv: { user: 'Say hello', stop: ['brown'] },
    check(a, { upstream, provider, ingress }) {
      // The provider got the stop sequence in its own field, and the reply ends where it began.
      expect(stopSent(provider.name, upstream)).toEqual(['brown']);
      expect(a.text).toBe('This is a simulated reply to "Say hello". The quick ');
      expectStopFinish(a, provider.name, ingress);
    },
  },
  {
    name: 'streamed stop sequence',
    conv: { user: 'Say hello [[sim chunks=5]]', stop: ['brown'], stream: true },
    check(a, { upstream, provider, ingress }) {
      expect(stopSent(provider.name, upstream)).toEqual(['brown']);
      expect(a.text).toBe('This is a simulated reply to "Say hello". The quick ');
      expectStopFinish(a, provider.name, ingress);
    },
  },
  {
    name: 'max tokens',
    conv: { user: 'Say hello', maxTokens: 3 },
    check(a) {
      expect(a.finish).toBe('length');
      expect(a.usage.output).toBe(3);
    },
  },
];

/** Where each provider's request carries stop sequences (OpenAI's `stop` may be a string or a list). */
function stopSent(provider: string, body: any): unknown { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (provider === 'anthropic') return body.stop_sequences;
  if (provider === 'gemini') return body.generationConfig?.stopSequences;
  return typeof body.stop === 'string' ? [body.stop] : body.stop;
}

/**
 * The finish reason in the caller's own dialect for text ended by a stop sequence: OpenAI says
 * `stop`, Gemini `STOP`; Anthropic says `stop_sequence` and names it when the provider reported
 * which sequence matched (only Anthropic does), else `end_turn`.
 */
function expectStopFinish(a: Awaited<ReturnType<typeof call>>, provider: string, ingress: IngressName): void {
  expect(a.finish).toBe('stop');
  const raw = a.raw as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (ingress === 'openai') {
    const reasons = Array.isArray(raw) ? raw.flatMap((c) => c.choices ?? []).map((c: { finish_reason: string | null }) => c.finish_reason).filter(Boolean) : [raw.choices[0].finish_reason];
    expect(reasons).toEqual(['stop']);
  } else if (ingress === 'gemini') {
    const last = Array.isArray(raw) ? raw.at(-1) : raw;
    expect(last.candidates[0].finishReason).toBe('STOP');
  } else {
    const end = Array.isArray(raw) ? JSON.parse(raw.find((e: { event: string }) => e.event === 'message_delta').data).delta : raw;
    expect({ stop_reason: end.stop_reason, stop_sequence: end.stop_sequence }).toEqual(provider === 'anthropic' ? { stop_reason: 'stop_sequence', stop_sequence: 'brown' } : { stop_reason: 'end_turn', stop_sequence: null });
  }
}

describe('dialect × provider matrix', () => {
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    t = await startTestGateway({ simulator: { apiKey: SIM_KEY }, channels: allChannels, start: NO_BILLING });
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  for (const ingress of INGRESSES) {
    describe(`${ingress} client`, () => {
      for (const provider of PROVIDERS) {
        for (const c of CASES) {
          it(`→ ${provider.name}: ${c.name}`, async () => {
            const started = Date.now();
            const a = await call(ingress, t.url, key, modelFor(provider), c.conv);
            expect(a.status, JSON.stringify(a.raw)).toBe(200);
            // The simulator keeps its last 200 requests, so the call is found by time, not position.
            const upstream = t.sim.requests.at(-1)!;
            expect(upstream.at, 'the provider was called').toBeGreaterThanOrEqual(started);
            c.check(a, { upstream: upstream.body, provider, ingress });
            // Usage in the caller's own fields, never zero for a real answer.
            expect(a.usage.input).toBeGreaterThan(0);
            expect(a.usage.output).toBeGreaterThan(0);
          });
        }
      }
    });
  }
});
