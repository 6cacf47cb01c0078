import { describe, expect, it } from 'vitest';
import { DeliveredText, RAW_AGE_MS, RAW_LIMIT, TEXT_LIMIT } from '../../src/formats/delivered.js';
import { openaiCodec } from '../../src/formats/openai/codec.js';
import { geminiFormat } from '../../src/formats/gemini/canonical.js';
import { openaiFormat } from '../../src/formats/openai/canonical.js';
import { translate } from '../../src/formats/canonical/translator.js';
import type { StreamTap } from '../../src/formats/types.js';

/**
 * A long stream keeps what it delivered only within a bound (formats/delivered.ts), and a long stream
 * cut before the provider's final report is still charged for every token it delivered. The text is
 * " hello" once per event: one o200k token each, however the text is cut into blocks between
 * events, so the right charge is the number of events.
 */
const EVENTS = 200_000;
const PROMPT_ESTIMATE = 11;
const chunk = (content: string) => `data: ${JSON.stringify({ id: 'chatcmpl-long', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

function feed(tap: StreamTap, events: number, event: (i: number) => string): void {
  // The relay hands a tap what one socket read brought: here a hundred events at a time.
  for (let i = 0; i < events; i += 100) {
    let part = '';
    for (let j = i; j < Math.min(events, i + 100); j++) part += event(j);
    tap.push(part);
  }
}

describe('long streams', () => {
  it('what a stream delivered is kept within its bound however long it runs, and counted whole', () => {
    const delivered = new DeliveredText((raw) => (JSON.parse(raw) as { choices: { delta: { content: string } }[] }).choices[0].delta.content);
    const event = chunk(' hello').slice('data: '.length, -2);
    let most = 0;
    for (let i = 0; i < EVENTS; i++) {
      delivered.addRaw(event);
      most = Math.max(most, delivered.retainedChars);
    }
    // 24 MB of events came; what is held never passes the two limits (plus the event that crossed one).
    expect(EVENTS * event.length).toBeGreaterThan(20_000_000);
    expect(most).toBeLessThanOrEqual(RAW_LIMIT + TEXT_LIMIT + event.length);
    expect(delivered.count()).toBe(EVENTS);
    // Text not yet delivered (a translator's pending fragment) counts with it.
    expect(delivered.count(' hello hello')).toBe(EVENTS + 2);
  });

  it('a stream that trickles keeps its events unparsed only while they are young, and counts the same', () => {
    const textOf = (raw: string) => (JSON.parse(raw) as { choices: { delta: { content: string } }[] }).choices[0].delta.content;
    const event = chunk(' hello').slice('data: '.length, -2);
    // A provider's pace: an event every 30 ms, for 60 events (1.8 s), on a clock the test moves.
    let clock = 0;
    const trickle = new DeliveredText(textOf, () => clock);
    let most = 0;
    for (let i = 0; i < 60; i++) {
      trickle.addRaw(event);
      most = Math.max(most, trickle.retainedChars);
      clock += 30;
    }
    // Never more than the events of one RAW_AGE_MS window (9 at 30 ms apart) beside the text read so far.
    const window = Math.floor(RAW_AGE_MS / 30) + 1;
    expect(most).toBeLessThanOrEqual(window * event.length + 60 * ' hello'.length);
    expect(most).toBeLessThan(20 * event.length);
    expect(trickle.count()).toBe(60);
    // The same events in a burst (no time passes) stay as they came, and count alike.
    const burst = new DeliveredText(textOf, () => 0);
    for (let i = 0; i < 60; i++) burst.addRaw(event);
    expect(burst.retainedChars).toBe(60 * event.length);
    expect(burst.count()).toBe(60);
  });

  it('an OpenAI stream of 200,000 chunks cut before its usage report is charged 200,000 output tokens', () => {
    const tap = openaiCodec.tapStream('chat', false);
    feed(tap, EVENTS, () => chunk(' hello'));
    expect(tap.complete).toBe(false);
    expect(tap.usage(() => PROMPT_ESTIMATE)).toEqual({ promptTokens: PROMPT_ESTIMATE, completionTokens: EVENTS, cachedTokens: 0, estimated: true });
  });

  it('a translated stream (OpenAI provider, Gemini caller) of 200,000 chunks cut before its report is charged for all it delivered', () => {
    const body = { contents: [{ role: 'user', parts: [{ text: 'Say hello many times.' }] }] };
    const translation = translate({ dialect: 'gemini', operation: 'chat', model: 'g', stream: true, body, clientWantsUsage: false }, geminiFormat, openaiFormat, 'gpt-4o-mini', () => PROMPT_ESTIMATE, 'test');
    const tap = translation.tapStream();
    let sent = 0;
    for (let i = 0; i < EVENTS; i += 100) {
      let part = '';
      for (let j = i; j < i + 100; j++) part += chunk(' hello');
      sent += tap.push(part).split('\n\n').filter((e) => e.includes('hello')).length;
    }
    expect(sent).toBe(EVENTS);
    expect(tap.usage(() => PROMPT_ESTIMATE)).toMatchObject({ promptTokens: PROMPT_ESTIMATE, completionTokens: EVENTS, estimated: true });
  });
});
