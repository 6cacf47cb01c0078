import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer';
import { Utf8Stream } from '../../src/relay/exchanges/utf8.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { chat, setPrice } from './helpers.js';

/**
 * Upstream streams as a slow network or a buffering proxy delivers them: events, and UTF-8
 * characters, cut anywhere between reads (the simulator's `split=N`, each piece its own read). The
 * caller gets every character whole, and a stream without a usage report is counted on the text it
 * really carried.
 */
const REPLY = '你好，世界！这是一段中文回答 🙂 with some English.';

describe('the upstream stream decoder', () => {
  it('holds a character cut between chunks until its last byte, drops one leading BOM, and ends a cut sequence as U+FFFD', () => {
    const bytes = Buffer.from('\uFEFF你好🙂', 'utf8');
    const d = new Utf8Stream();
    const out = [...bytes].map((b) => d.write(Buffer.from([b])));
    // The BOM and each character appear exactly once, on the read of their last byte.
    expect(out.filter((s) => s !== '')).toEqual(['你', '好', '🙂']);
    expect(d.end()).toBe('');
    const cut = new Utf8Stream();
    expect(cut.write(Buffer.from('ok', 'utf8')) + cut.write(Buffer.from('好', 'utf8').subarray(0, 2))).toBe('ok');
    expect(cut.end()).toBe('\uFFFD');
    // A BOM only counts at the very start: later it is text.
    const later = new Utf8Stream();
    expect(later.write(Buffer.from('a\uFEFFb', 'utf8'))).toBe('a\uFEFFb');
  });
});

describe('streams cut mid-character by the upstream', () => {
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    t = await startTestGateway({ db: 'sqlite' });
    await setPrice(t, 'gpt-4o-mini', 1, 2);
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  async function lastLog() {
    await t.flushLogs();
    return t.gw.services.db.selectFrom('request_logs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow();
  }

  const deltas = (sse: string) =>
    sse
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
      .join('');

  it('OpenAI dialect, one byte per read: the caller gets the text whole, and the provider’s usage is charged', async () => {
    const res = await chat(t, key, { stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: `Say it [[sim chunks=2 split=1 reply="${REPLY}"]]` }] });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain('\uFFFD');
    expect(deltas(text)).toBe(REPLY);
    const usage = JSON.parse(text.split('\n\n').find((e) => e.includes('"usage":{'))!.slice(6)).usage as { completion_tokens: number };
    const log = await lastLog();
    expect(log.status).toBe(200);
    expect(log.completion_tokens).toBe(usage.completion_tokens);
  });

  it('no usage report, two bytes per read: the gateway counts the text the caller received', async () => {
    const res = await chat(t, key, { stream: true, messages: [{ role: 'user', content: `Say it [[sim chunks=5 split=2 no-usage reply="${REPLY}"]]` }] });
    expect(deltas(await res.text())).toBe(REPLY);
    const log = await lastLog();
    expect(log.completion_tokens).toBe(countTokens(REPLY));
  });

  it('Anthropic dialect on an OpenAI channel (translated), one byte per read: every text delta is whole', async () => {
    const res = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 256, stream: true, messages: [{ role: 'user', content: `Say it [[sim chunks=3 split=1 reply="${REPLY}"]]` }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    const textDeltas = text
      .split('\n\n')
      .map((e) => /^data: (.*)$/m.exec(e)?.[1])
      .filter((d): d is string => d !== undefined)
      .map((d) => JSON.parse(d) as { type: string; delta?: { type: string; text?: string } })
      .filter((d) => d.type === 'content_block_delta' && d.delta?.type === 'text_delta')
      .map((d) => d.delta!.text)
      .join('');
    expect(textDeltas).toBe(REPLY);
    expect(text).toContain('event: message_stop');
  });
});
