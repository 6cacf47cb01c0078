import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer';
import { startTestGateway, type TestGateway } from '../harness.js';
import { setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { groundingOf } from '../../src/formats/gemini/grounding.js';
import type { ChannelInput } from '../../src/channels/channels.js';

/**
 * Built-in web search through translation: the Responses API's `web_search` tool and Chat's
 * `web_search_options` run as Anthropic's web search server tool or Gemini's Google Search
 * grounding, come back as `web_search_call` items and `url_citation` annotations, and each search
 * is charged at the model's per-search price; a provider that cannot search gets the call without
 * it and the answer names the tool in `x-apigpt-dropped-tools`. The simulator searches when the
 * tool is offered and the user text says "search" (packages/simulator README): a preface block,
 * one search for the user's text with two pages, the reply's last sentence cited from the first
 * page (Anthropic) or from both pages (Gemini). Expected figures follow those rules and the prices
 * set here.
 */

const PREFACE = 'Let me search the web for that.';
const CITED = 'The quick brown fox jumps over the lazy dog.';
const reply = (user: string) => `This is a simulated reply to "${user}". ${CITED}`;
const turn = (role: string, text: string) => 3 + countTokens(role) + countTokens(text);
/** P per 1K tokens in / out, and P per 1K searches (US$10 per 1K, Anthropic's and OpenAI's list price). */
const PRICE = { input: 1, output: 2, perKSearches: 10_000 };
const cost = (input: number, output: number, searches: number) => input * 1000 + output * 2000 + searches * 10_000_000;
/** Items as sent, without what the SDK adds to its final response (`parsed`). */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'parsed' ? undefined : x)));
const slug = (q: string) => q.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

describe('built-in web search on translated providers', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim): ChannelInput[] => [
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 's-claude': 'claude-sonnet-4-5' } },
        { provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 's-gemini': 'gemini-2.5-flash' } },
        { provider: 'openai-compatible', name: 'compatible', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { 's-compatible': 'qwen2.5-7b-instruct' } },
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, modelMap: { 's-openai': 'gpt-4o-mini' } },
      ],
    });
    for (const model of ['s-claude', 's-gemini', 's-compatible', 's-openai']) await setPrice(t, model, PRICE.input, PRICE.output, { perKSearches: PRICE.perKSearches });
  });
  afterAll(() => t?.close());

  async function client() {
    const u = await t.newUserWithKey();
    return { ...u, openai: new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1`, maxRetries: 0 }) };
  }
  const lastUpstream = () => t.sim.requests[t.sim.requests.length - 1] as { path: string; body: Record<string, any> };
  async function logRow(userId: string) {
    return eventually(async () => {
      await t.flushLogs();
      const rows = await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', userId).execute();
      expect(rows).toHaveLength(1);
      return rows[0];
    });
  }

  describe('Anthropic channel: the web search server tool', () => {
    it('responses.create: a web_search_call item, the answer with its url_citation, one search charged', async () => {
      const { openai, userId } = await client();
      const user = 'Please search the web for the tallest building';
      const r = await openai.responses.create({ model: 's-claude', input: user, tools: [{ type: 'web_search' }], include: ['web_search_call.action.sources'] }).withResponse();
      const res = r.data;
      expect(r.response.headers.get('x-apigpt-dropped-tools')).toBeNull();
      const sent = lastUpstream().body;
      expect(sent.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }]);
      const pages = [1, 2].map((n) => `https://docs.example.com/${slug(user)}/${n}`);
      const [search, message] = res.output as any[];
      expect(res.output).toHaveLength(2);
      expect(search).toMatchObject({ type: 'web_search_call', status: 'completed', action: { type: 'search', query: user, queries: [user], sources: pages.map((url) => ({ type: 'url', url })) } });
      const text = PREFACE + reply(user);
      expect(message.content[0].text).toBe(text);
      expect(message.content[0].annotations).toEqual([{ type: 'url_citation', start_index: text.length - CITED.length, end_index: text.length, url: pages[0], title: `${user} — result 1` }]);
      expect(res.output_text).toBe(text);
      // Prompt: the simulator's rule over what Anthropic received (the user turn and the tool list).
      const input = 3 + turn('user', user) + countTokens(JSON.stringify(sent.tools));
      const output = countTokens(PREFACE) + countTokens(reply(user));
      expect(res.usage).toMatchObject({ input_tokens: input, output_tokens: output });
      const row = await logRow(userId);
      expect({ searches: row.searches, cost: Number(row.cost) }).toEqual({ searches: 1, cost: cost(input, output, 1) });
    });

    it('responses.stream: the search and the citation as events, between the two messages around them', async () => {
      const { openai, userId } = await client();
      const user = 'search: who wrote Hamlet';
      const stream = openai.responses.stream({ model: 's-claude', input: user, tools: [{ type: 'web_search', filters: { allowed_domains: ['en.wikipedia.org'] }, user_location: { type: 'approximate', city: 'Paris', country: 'FR' } }] });
      const events: any[] = [];
      for await (const ev of stream) events.push(ev);
      const final = await stream.finalResponse();
      // The domain filter and the location reached Anthropic's tool.
      expect(lastUpstream().body.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: 5, allowed_domains: ['en.wikipedia.org'], user_location: { type: 'approximate', city: 'Paris', country: 'FR' } }]);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const items = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
      expect(items.map((i) => i.type)).toEqual(['message', 'web_search_call', 'message']);
      expect(items[0].content[0].text).toBe(PREFACE);
      expect(items[1]).toMatchObject({ status: 'completed', action: { type: 'search', query: user } });
      const second = reply(user);
      const annotation = { type: 'url_citation', start_index: second.length - CITED.length, end_index: second.length, url: `https://en.wikipedia.org/${slug(user)}/1`, title: `${user} — result 1` };
      expect(items[2].content[0]).toMatchObject({ text: second, annotations: [annotation] });
      const types = events.map((e) => e.type);
      const at = types.indexOf('response.web_search_call.in_progress');
      expect(types.slice(at - 1, at + 4)).toEqual(['response.output_item.added', 'response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed', 'response.output_item.done']);
      const added = events.filter((e) => e.type === 'response.output_text.annotation.added');
      expect(added).toEqual([expect.objectContaining({ item_id: items[2].id, output_index: 2, content_index: 0, annotation_index: 0, annotation })]);
      // The annotation comes after its text and before the text is done.
      expect(types.indexOf('response.output_text.annotation.added')).toBeLessThan(types.lastIndexOf('response.output_text.done'));
      expect(plain(final.output)).toEqual(items);
      const row = await logRow(userId);
      const output = countTokens(PREFACE) + countTokens(second);
      expect({ searches: row.searches, completion: row.completion_tokens, cost: Number(row.cost) }).toEqual({ searches: 1, completion: output, cost: cost(final.usage!.input_tokens, output, 1) });
    });

    it('chat.completions with web_search_options: the citation as a url_citation annotation, whole and streamed', async () => {
      const { openai } = await client();
      const user = 'search for the speed of light';
      const c = await openai.chat.completions.create({ model: 's-claude', messages: [{ role: 'user', content: user }], web_search_options: { user_location: { type: 'approximate', approximate: { city: 'Berlin' } } } });
      expect(lastUpstream().body.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: 5, user_location: { type: 'approximate', city: 'Berlin' } }]);
      const text = PREFACE + reply(user);
      const annotation = { type: 'url_citation', url_citation: { start_index: text.length - CITED.length, end_index: text.length, url: `https://docs.example.com/${slug(user)}/1`, title: `${user} — result 1` } };
      expect(c.choices[0].message.content).toBe(text);
      expect(c.choices[0].message.annotations).toEqual([annotation]);

      const stream = await openai.chat.completions.create({ model: 's-claude', stream: true, messages: [{ role: 'user', content: user }], web_search_options: {} });
      let streamed = '';
      const annotations: unknown[] = [];
      for await (const chunk of stream) {
        streamed += chunk.choices[0]?.delta?.content ?? '';
        annotations.push(...(((chunk.choices[0]?.delta as any)?.annotations as unknown[]) ?? []));
      }
      expect(streamed).toBe(text);
      expect(annotations).toEqual([annotation]);
    });
  });

  describe('Gemini channel: Google Search grounding', () => {
    it('responses.create: googleSearch offered, the queries as a web_search_call, each grounded page as an annotation', async () => {
      const { openai, userId } = await client();
      const user = 'Search: Zürich weather today';
      const res = await openai.responses.create({ model: 's-gemini', input: user, tools: [{ type: 'web_search' }] });
      const sent = lastUpstream().body;
      expect(sent.tools).toEqual([{ googleSearch: {} }]);
      const [search, message] = res.output as any[];
      expect(search).toMatchObject({ type: 'web_search_call', status: 'completed', action: { type: 'search', query: user, queries: [user] } });
      expect(search.action.sources).toBeUndefined(); // not asked for with `include`
      const text = reply(user);
      expect(message.content[0].text).toBe(text);
      // Gemini points at the cited sentence in bytes of UTF-8 ("ü" is two): the annotations are in characters.
      const start = text.length - CITED.length;
      expect(message.content[0].annotations).toEqual([1, 2].map((n) => ({ type: 'url_citation', start_index: start, end_index: text.length, url: expect.stringMatching(new RegExp(`^https://vertexaisearch\\.cloud\\.google\\.com/grounding-api-redirect/.+-${n}$`)), title: 'docs.example.com' })));
      expect(text.slice(start)).toBe(CITED);
      const input = 3 + turn('user', user) + countTokens(JSON.stringify(sent.tools));
      const output = countTokens(text);
      expect(res.usage).toMatchObject({ input_tokens: input, output_tokens: output });
      const row = await logRow(userId);
      expect({ searches: row.searches, cost: Number(row.cost) }).toEqual({ searches: 1, cost: cost(input, output, 1) });
    });

    it('responses.stream: the grounding arrives with the last chunk, before the message closes', async () => {
      const { openai } = await client();
      const user = 'search the news about Mars';
      const stream = openai.responses.stream({ model: 's-gemini', input: user, tools: [{ type: 'web_search_preview' }], include: ['web_search_call.action.sources'] });
      const events: any[] = [];
      for await (const ev of stream) events.push(ev);
      const types = events.map((e) => e.type);
      const items = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
      // The search is reported whole once its grounding is known: after the text it grounds.
      expect(items.map((i) => i.type)).toEqual(['message', 'web_search_call']);
      expect(items[1].action.sources).toHaveLength(2);
      expect(items[0].content[0].annotations).toHaveLength(2);
      expect(types.filter((x) => x === 'response.output_text.annotation.added')).toHaveLength(2);
      expect(types.indexOf('response.output_text.annotation.added')).toBeLessThan(types.indexOf('response.output_text.done'));
      expect(plain((await stream.finalResponse()).output)).toEqual(items);
    });

    it('a Codex-like request (functions and web_search): Gemini keeps the functions, the search is left out and named', async () => {
      const { openai } = await client();
      const res = await openai.responses
        .create({
          model: 's-gemini',
          input: 'search the repo for TODOs',
          tools: [{ type: 'function', name: 'shell', parameters: { type: 'object', properties: { command: { type: 'string' } } }, strict: false }, { type: 'web_search' }],
        })
        .withResponse();
      expect(res.response.status).toBe(200);
      expect(res.response.headers.get('x-apigpt-dropped-tools')).toBe('web_search');
      expect(lastUpstream().body.tools).toEqual([{ functionDeclarations: [expect.objectContaining({ name: 'shell' })] }]);
    });
  });

  it('OpenAI (pass-through): its own search reaches the caller as it came, and each web_search_call is charged, plain and streamed', async () => {
    const { openai, userId } = await client();
    const user = 'search for the population of Lyon';
    const res = await openai.responses.create({ model: 's-openai', input: user, tools: [{ type: 'web_search' }] });
    expect(lastUpstream().body.tools).toEqual([{ type: 'web_search' }]);
    expect(res.output.map((o) => o.type)).toEqual(['web_search_call', 'message']);
    const row = await logRow(userId);
    expect({ searches: row.searches, cost: Number(row.cost) }).toEqual({ searches: 1, cost: cost(res.usage!.input_tokens, res.usage!.output_tokens, 1) });

    const streamed = await client();
    const stream = streamed.openai.responses.stream({ model: 's-openai', input: user, tools: [{ type: 'web_search' }] });
    for await (const _ of stream) void _;
    const final = await stream.finalResponse();
    const srow = await logRow(streamed.userId);
    expect({ searches: srow.searches, cost: Number(srow.cost) }).toEqual({ searches: 1, cost: cost(final.usage!.input_tokens, final.usage!.output_tokens, 1) });
  });

  it('a provider without web search: the call goes without it and the answer names it; no search is charged', async () => {
    const { openai, userId } = await client();
    const res = await openai.responses.create({ model: 's-compatible', input: 'search for cats', tools: [{ type: 'web_search' }] }).withResponse();
    expect(res.response.headers.get('x-apigpt-dropped-tools')).toBe('web_search');
    expect(lastUpstream().body.tools).toBeUndefined();
    expect(res.data.output.map((o) => o.type)).toEqual(['message']);
    expect((await logRow(userId)).searches).toBe(0);
  });

  it('Anthropic and Gemini callers: a web search server tool reaches Gemini as googleSearch, googleSearch reaches Anthropic as its tool', async () => {
    const { key } = await client();
    const a = await fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 's-gemini', max_tokens: 100, tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }, { type: 'code_execution_20250522', name: 'code_execution' }], messages: [{ role: 'user', content: 'search for tea' }] }),
    });
    expect(a.status).toBe(200);
    expect(a.headers.get('x-apigpt-dropped-tools')).toBe('code_execution_20250522');
    expect(lastUpstream().body.tools).toEqual([{ googleSearch: {} }]);
    const blocks = ((await a.json()) as { content: { type: string; text?: string }[] }).content;
    expect(blocks.filter((b) => b.type === 'text').map((b) => b.text).join('')).toBe(reply('search for tea'));

    const g = await fetch(`${t.url}/v1beta/models/s-claude:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ tools: [{ googleSearch: {} }], contents: [{ role: 'user', parts: [{ text: 'search for coffee' }] }] }),
    });
    expect(g.status).toBe(200);
    expect(lastUpstream().body.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }]);
    const body = (await g.json()) as { candidates: { content: { parts: { text: string }[] } }[] };
    expect(body.candidates[0].content.parts.map((p) => p.text).join('')).toBe(PREFACE + reply('search for coffee'));
  });
});

describe('searches another provider ran, in the caller\'s own shape', () => {
  let t: TestGateway;
  let key: string;
  beforeAll(async () => {
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim): ChannelInput[] => [
        { provider: 'anthropic', name: 'anthropic', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 'x-claude': 'claude-sonnet-4-5' } },
        { provider: 'gemini', name: 'gemini', baseUrl: sim.url, secret: SIM_KEY, modelMap: { 'x-gemini': 'gemini-2.5-flash' } },
      ],
    });
    for (const model of ['x-claude', 'x-gemini']) await setPrice(t, model, PRICE.input, PRICE.output, { perKSearches: PRICE.perKSearches });
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  const anthropic = (stream: boolean) =>
    fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x-gemini', max_tokens: 100, stream, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'search for tea' }] }),
    });
  const gemini = (stream: boolean) =>
    fetch(`${t.url}/v1beta/models/x-claude:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ tools: [{ googleSearch: {} }], contents: [{ role: 'user', parts: [{ text: 'search for coffee' }] }] }),
    });

  /** What Gemini's grounding (as the simulator writes it) becomes for an Anthropic caller. */
  function expectServerTool(content: Record<string, any>[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(content.map((b) => b.type)).toEqual(['server_tool_use', 'web_search_tool_result', 'text', 'text']);
    expect(content[0]).toMatchObject({ name: 'web_search', input: { query: 'search for tea' }, id: expect.stringMatching(/^srvtoolu_/) });
    expect(content[1].tool_use_id).toBe(content[0].id);
    const pages = content[1].content as { type: string; url: string; title: string; encrypted_content: string }[];
    expect(pages.map((p) => [p.type, p.title, p.encrypted_content])).toEqual([['web_search_result', 'docs.example.com', ''], ['web_search_result', 'docs.example.com', '']]);
    expect(pages.every((p) => p.url.startsWith('https://vertexaisearch.cloud.google.com/grounding-api-redirect/'))).toBe(true);
    expect(content[2].text + content[3].text).toBe(reply('search for tea'));
    expect(content[3].text).toBe(CITED);
    expect(content[3].citations).toEqual(pages.map((p) => ({ type: 'web_search_result_location', url: p.url, title: p.title, cited_text: CITED, encrypted_index: '' })));
  }

  it('an Anthropic caller on a Gemini model: the grounding as server_tool_use and web_search_tool_result blocks, the cited sentence with its citations', async () => {
    const res = await anthropic(false);
    expect(res.status).toBe(200);
    expectServerTool(((await res.json()) as { content: Record<string, unknown>[] }).content);
  });

  it('streamed: the same blocks, built from the events as the Anthropic SDK builds them (citations_delta in the text block)', async () => {
    const res = await anthropic(true);
    expect(res.status).toBe(200);
    const blocks: Record<string, any>[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const raw of (await res.text()).split('\n\n').filter((e) => e.includes('data: '))) {
      const d = JSON.parse(raw.slice(raw.indexOf('data: ') + 6));
      if (d.type === 'content_block_start') blocks[d.index] = { ...d.content_block };
      else if (d.type === 'content_block_delta') {
        const b = blocks[d.index];
        if (d.delta.type === 'text_delta') b.text += d.delta.text;
        else if (d.delta.type === 'citations_delta') b.citations = [...(b.citations ?? []), d.delta.citation];
        else if (d.delta.type === 'input_json_delta') b.json = (b.json ?? '') + d.delta.partial_json;
      }
    }
    // Gemini grounds the text once it is written: the cited stretch is the whole text block here, the search after it.
    expect(blocks.map((b) => b.type)).toEqual(['text', 'server_tool_use', 'web_search_tool_result']);
    expect(blocks[0].text).toBe(reply('search for tea'));
    expect(blocks[0].citations.map((c: { cited_text: string }) => c.cited_text)).toEqual([CITED, CITED]);
    expect(JSON.parse(blocks[1].json)).toEqual({ query: 'search for tea' });
    expect(blocks[2].content).toHaveLength(2);
  });

  const expectGrounding = (meta: Record<string, any>, text: string) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const pages = [1, 2].map((n) => ({ web: { uri: `https://docs.example.com/search-for-coffee/${n}`, title: `search for coffee — result ${n}` } }));
    const start = Buffer.byteLength(text.slice(0, text.indexOf(CITED)), 'utf8');
    expect(meta).toEqual({
      webSearchQueries: ['search for coffee'],
      groundingChunks: pages,
      groundingSupports: [{ segment: { startIndex: start, endIndex: start + Buffer.byteLength(CITED, 'utf8'), text: CITED }, groundingChunkIndices: [0] }],
    });
    // The gateway reads its own output back as it reads Gemini's.
    expect(groundingOf(meta, text)!.citations).toEqual([{ url: pages[0].web.uri, title: pages[0].web.title, start: text.indexOf(CITED), end: text.length }]);
  };

  it('a Gemini caller on a Claude model: Anthropic\'s search as groundingMetadata (queries, pages, the cited segment in UTF-8 bytes)', async () => {
    const res = await gemini(false);
    expect(res.status).toBe(200);
    const c = ((await res.json()) as { candidates: { content: { parts: { text: string }[] }; groundingMetadata: Record<string, unknown> }[] }).candidates[0];
    const text = c.content.parts.map((p) => p.text).join('');
    expect(text).toBe(PREFACE + reply('search for coffee'));
    expectGrounding(c.groundingMetadata, text);
  });

  it('streamed: the grounding comes with the last chunk, as Gemini sends it', async () => {
    const res = await gemini(true);
    const chunks = (await res.text()).split(/\r?\n\r?\n/).filter((e) => e.startsWith('data: ')).map((e) => JSON.parse(e.slice(6)) as { candidates: { content: { parts: { text?: string }[] }; groundingMetadata?: Record<string, unknown> }[] });
    const grounded = chunks.map((c, i) => (c.candidates[0].groundingMetadata ? i : -1)).filter((i) => i >= 0);
    expect(grounded).toEqual([chunks.length - 1]);
    const text = chunks.flatMap((c) => c.candidates[0].content.parts.map((p) => p.text ?? '')).join('');
    expectGrounding(chunks.at(-1)!.candidates[0].groundingMetadata!, text);
  });
});

describe('Gemini grounding offsets', () => {
  it('reads segments by their text, and by their UTF-8 byte offsets when the text is not given', () => {
    const text = 'Zürich: 12 °C. Sunny later.';
    const meta = (segment: Record<string, unknown>) => ({ webSearchQueries: ['zürich weather'], groundingChunks: [{ web: { uri: 'https://a.example/1', title: 'a.example' } }], groundingSupports: [{ segment, groundingChunkIndices: [0] }] });
    const byText = groundingOf(meta({ startIndex: 99, endIndex: 120, text: 'Sunny later.' }), text)!;
    expect(byText.citations).toEqual([{ url: 'https://a.example/1', title: 'a.example', start: 15, end: 27 }]);
    // "Zürich: 12 °C." is 14 characters but 16 bytes ("ü" and "°" are two each).
    const byBytes = groundingOf(meta({ endIndex: 16 }), text)!;
    expect(byBytes.citations).toEqual([{ url: 'https://a.example/1', title: 'a.example', start: 0, end: 14 }]);
    expect(text.slice(0, 14)).toBe('Zürich: 12 °C.');
    expect(byBytes.search).toMatchObject({ queries: ['zürich weather'], sources: [{ url: 'https://a.example/1', title: 'a.example' }] });
  });
});
