import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { parseSse, postJson, sseJson, tok } from './helpers.js';

/** Simulated web search in each provider's own shapes (README "Web search"). */
const KEY = 'sk-search';
let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
});
afterAll(() => sim.close());

const CITED = 'The quick brown fox jumps over the lazy dog.';
const PREFACE = 'Let me search the web for that.';
const ANTHROPIC = { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' };
const claude = (text: string, extra: Record<string, unknown> = {}) => ({ model: 'claude-sonnet-4-5', max_tokens: 300, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: text }], ...extra });

describe('Anthropic web search server tool', () => {
  it('searches when asked: preface, server_tool_use, results, the reply with its last sentence cited; one search in usage', async () => {
    const user = 'Please search for Ada Lovelace';
    const r = await (await postJson(`${sim.url}/v1/messages`, claude(user, { tools: [{ type: 'web_search_20250305', name: 'web_search', allowed_domains: ['en.wikipedia.org'] }] }), ANTHROPIC)).json();
    const pages = [1, 2].map((n) => `https://en.wikipedia.org/please-search-for-ada-lovelace/${n}`);
    expect(r.content.map((b: { type: string }) => b.type)).toEqual(['text', 'server_tool_use', 'web_search_tool_result', 'text', 'text']);
    expect(r.content[0].text).toBe(PREFACE);
    expect(r.content[1]).toMatchObject({ name: 'web_search', input: { query: user } });
    expect(r.content[2].tool_use_id).toBe(r.content[1].id);
    expect(r.content[2].content.map((p: { url: string }) => p.url)).toEqual(pages);
    expect(r.content[4]).toMatchObject({ text: CITED, citations: [{ type: 'web_search_result_location', url: pages[0], cited_text: CITED }] });
    expect(r.content[3].text + r.content[4].text).toBe(`This is a simulated reply to "${user}". ${CITED}`);
    expect(r.usage.server_tool_use).toEqual({ web_search_requests: 1 });
    expect(r.usage.output_tokens).toBe(tok(PREFACE) + tok(r.content[3].text + r.content[4].text));
  });

  it('streams the query in fragments, the results whole, the citation ahead of its text, and the search count at the end', async () => {
    const res = await postJson(`${sim.url}/v1/messages`, claude('search: tides', { stream: true }), ANTHROPIC);
    const events = sseJson(await res.text());
    const starts = events.filter((e) => e.type === 'content_block_start').map((e) => e.content_block.type);
    expect(starts).toEqual(['text', 'server_tool_use', 'web_search_tool_result', 'text', 'text']);
    const query = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'input_json_delta').map((e) => e.delta.partial_json).join('');
    expect(JSON.parse(query)).toEqual({ query: 'search: tides' });
    const last = events.filter((e) => e.index === 4 && e.type === 'content_block_delta').map((e) => e.delta.type);
    expect(last[0]).toBe('citations_delta');
    expect(last.slice(1).every((t) => t === 'text_delta')).toBe(true);
    expect(events.find((e) => e.type === 'message_delta').usage.server_tool_use).toEqual({ web_search_requests: 1 });
  });

  it('does not search without being asked, nor without the tool', async () => {
    const r = await (await postJson(`${sim.url}/v1/messages`, claude('hello there'), ANTHROPIC)).json();
    expect(r.content.map((b: { type: string }) => b.type)).toEqual(['text']);
    const s = await (await postJson(`${sim.url}/v1/messages`, claude('search cats', { tools: [] }), ANTHROPIC)).json();
    expect(s.content.map((b: { type: string }) => b.type)).toEqual(['text']);
  });
});

describe('Gemini Google Search grounding', () => {
  const H = { 'x-goog-api-key': KEY };
  const body = (text: string, tools: unknown[] = [{ googleSearch: {} }]) => ({ tools, contents: [{ role: 'user', parts: [{ text }] }] });

  it('grounds the answer: queries, pages, the cited sentence in UTF-8 byte offsets', async () => {
    const user = 'search Zürich';
    const r = await (await postJson(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, body(user), H)).json();
    const c = r.candidates[0];
    const text: string = c.content.parts[0].text;
    const g = c.groundingMetadata;
    expect(g.webSearchQueries).toEqual([user]);
    expect(g.groundingChunks).toHaveLength(2);
    const seg = g.groundingSupports[0].segment;
    expect(seg.text).toBe(CITED);
    expect(Buffer.from(text, 'utf8').subarray(seg.startIndex, seg.endIndex).toString('utf8')).toBe(CITED);
    expect(seg.startIndex).toBe(Buffer.byteLength(text) - Buffer.byteLength(CITED));
    expect(seg.startIndex).toBeGreaterThan(text.length - CITED.length); // "ü" is two bytes
  });

  it('streamed, the grounding comes with the last chunk only', async () => {
    const res = await postJson(`${sim.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, body('search the news'), H);
    const chunks = parseSse(await res.text()).map((e) => JSON.parse(e.data));
    expect(chunks.slice(0, -1).every((ch) => !ch.candidates[0].groundingMetadata)).toBe(true);
    expect(chunks.at(-1).candidates[0].groundingMetadata.webSearchQueries).toEqual(['search the news']);
  });

  it('a 2.x model refuses Google Search together with function declarations', async () => {
    const res = await postJson(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, body('search', [{ googleSearch: {} }, { functionDeclarations: [{ name: 'f', parameters: { type: 'object' } }] }]), H);
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toBe('Tool use with function calling is unsupported');
  });
});

describe('OpenAI Responses web_search', () => {
  it('a web_search_call item, then the message with a url_citation; streamed with its events', async () => {
    const req = { model: 'gpt-4o-mini', input: 'search the tallest tree', tools: [{ type: 'web_search' }], include: ['web_search_call.action.sources'] };
    const r = await (await postJson(`${sim.url}/v1/responses`, req, { authorization: `Bearer ${KEY}` })).json();
    expect(r.output.map((o: { type: string }) => o.type)).toEqual(['web_search_call', 'message']);
    expect(r.output[0].action).toMatchObject({ type: 'search', query: 'search the tallest tree', sources: [{ type: 'url', url: 'https://docs.example.com/search-the-tallest-tree/1' }, { type: 'url', url: 'https://docs.example.com/search-the-tallest-tree/2' }] });
    const text: string = r.output[1].content[0].text;
    expect(r.output[1].content[0].annotations).toEqual([{ type: 'url_citation', start_index: text.length - CITED.length, end_index: text.length, url: 'https://docs.example.com/search-the-tallest-tree/1', title: 'search the tallest tree — result 1' }]);
    const s = await postJson(`${sim.url}/v1/responses`, { ...req, stream: true }, { authorization: `Bearer ${KEY}` });
    const types = parseSse(await s.text()).map((e) => e.event);
    expect(types).toContain('response.web_search_call.searching');
    expect(types.indexOf('response.output_text.annotation.added')).toBeLessThan(types.indexOf('response.output_text.done'));
  });
});
