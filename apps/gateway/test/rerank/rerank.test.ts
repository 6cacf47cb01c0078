import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankDocuments, startSimulator, type Simulator } from '@apigpt/simulator';
import { rerankQuote } from '../../src/formats/rerank/codec.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { balanceOf, setBalance, setPrice } from '../billing/helpers.js';
import type { ChannelInput } from '../../src/channels/channels.js';

/**
 * `POST /v1/rerank` (and `/v2/rerank`) over real HTTP against the simulator: Cohere, Jina, an
 * OpenAI-compatible server and Zhipu each answer in their own shape, which reaches the caller as
 * the provider sent it; the call is charged by the search units or tokens the provider reported.
 */
const SIM_KEY = 'sk-sim-rerank';
const MICRO = 1_000_000;

// Prices set by the test, so expected charges are computed here by hand.
const PER_K_SEARCHES = 3; // P per 1,000 search units (rerank-v3.5)
const JINA_PER_K_TOKENS = 0.5; // P per 1K tokens (jina-reranker-v2-base-multilingual)
const BGE_PER_K_TOKENS = 0.2;
const ZHIPU_PER_K_TOKENS = 0.8;

const QUERY = 'capital of France';
const DOCS = ['Berlin is the capital of Germany.', 'Paris is the capital of France.', 'France exports wine.', 'Bananas are yellow.'];

describe('rerank', () => {
  let t: TestGateway;
  let failing: Simulator;
  let user: { key: string; cookie: string; userId: string };

  beforeAll(async () => {
    failing = await startSimulator({ apiKey: SIM_KEY, defaults: { fault: { kind: 'status', status: 503 } } });
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      config: { healthProbeIntervalMs: 0 },
      channels: (sim): ChannelInput[] => [
        // The client's `cohere-rerank` is Cohere's rerank-v3.5: the body goes out with the upstream name.
        { provider: 'cohere', name: 'cohere', baseUrl: sim.url, secret: SIM_KEY, models: ['rerank-v3.5', 'cohere-rerank'], modelMap: { 'cohere-rerank': 'rerank-v3.5' } },
        { provider: 'jina', name: 'jina', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: ['jina-reranker-v2-base-multilingual'] },
        { provider: 'openai-compatible', name: 'self-hosted', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: ['bge-reranker-v2-m3'] },
        { provider: 'zhipu', name: 'zhipu', baseUrl: `${sim.url}/api/paas/v4`, secret: SIM_KEY, models: ['rerank'] },
        // Two channels for one model: the first (higher priority) answers 503 to everything.
        { provider: 'cohere', name: 'cohere down', baseUrl: failing.url, secret: SIM_KEY, models: ['rerank-failover'], modelMap: { 'rerank-failover': 'rerank-v3.5' }, priority: 10 },
        { provider: 'cohere', name: 'cohere up', baseUrl: sim.url, secret: SIM_KEY, models: ['rerank-failover'], modelMap: { 'rerank-failover': 'rerank-v3.5' } },
      ],
    });
    await setPrice(t, 'rerank-v3.5', 0, 0, { perKSearches: PER_K_SEARCHES });
    await setPrice(t, 'cohere-rerank', 0, 0, { perKSearches: PER_K_SEARCHES });
    await setPrice(t, 'rerank-failover', 0, 0, { perKSearches: PER_K_SEARCHES });
    await setPrice(t, 'jina-reranker-v2-base-multilingual', JINA_PER_K_TOKENS, 0);
    await setPrice(t, 'bge-reranker-v2-m3', BGE_PER_K_TOKENS, 0);
    await setPrice(t, 'rerank', ZHIPU_PER_K_TOKENS, 0);
    user = await t.newUserWithKey();
    await setBalance(t, user.userId, user.cookie, 1000);
  });
  afterAll(async () => {
    await t?.close();
    await failing?.close();
  });

  const rerank = (body: Record<string, unknown>, path = '/v1/rerank', key: string | null = user.key) =>
    fetch(`${t.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: JSON.stringify(body) });
  const ledgerFor = async (requestId: string) => {
    await t.flushLogs();
    return t.gw.services.db.selectFrom('ledger').selectAll().where('request_id', '=', requestId).execute();
  };
  const logFor = async (requestId: string) => {
    await t.flushLogs();
    return t.gw.services.db.selectFrom('request_logs').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
  };
  const lastUpstream = () => t.sim.requests.at(-1)!;
  const expectedRanking = (query: string, docs: string[], topN?: number) => rankDocuments(query, docs).slice(0, topN).map((d) => ({ index: d.index, relevance_score: d.relevance_score }));

  it('a Cohere channel answers in Cohere shape, ranked by the provider, charged per search unit', async () => {
    const docs = Array.from({ length: 150 }, (_, i) => ({ text: i === 120 ? 'Paris is the capital of France' : `document ${i} about the capital` }));
    const res = await rerank({ model: 'cohere-rerank', query: QUERY, documents: docs, top_n: 3 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { id: string; results: unknown[]; meta: { billed_units: { search_units: number } } };
    expect(body).toEqual({
      id: expect.any(String),
      results: expectedRanking(QUERY, docs.map((d) => d.text), 3),
      meta: { api_version: { version: '2' }, billed_units: { search_units: 2 }, tokens: { input_tokens: expect.any(Number), output_tokens: 0 } },
    });
    expect(body.results[0]).toMatchObject({ index: 120 });

    // Cohere's v2 endpoint, the channel's own model name and key.
    const up = lastUpstream();
    expect(up.path).toBe('/v2/rerank');
    expect(up.headers.authorization).toBe(`Bearer ${SIM_KEY}`);
    expect(up.body).toMatchObject({ model: 'rerank-v3.5', query: QUERY, top_n: 3 });

    // 2 search units × 3 P per 1,000 = 0.006 P.
    const id = res.headers.get('x-request-id')!;
    const expected = Math.round(((body.meta.billed_units.search_units * PER_K_SEARCHES) / 1000) * MICRO);
    expect(expected).toBe(6000);
    expect(await ledgerFor(id)).toMatchObject([{ kind: 'charge', amount: -expected, reason: 'cohere-rerank' }]);
    const log = await logFor(id);
    expect(log).toMatchObject({ status: 200, attempts: 1, searches: 2, endpoint: '/v1/rerank', model_requested: 'cohere-rerank', model_sent: 'rerank-v3.5', cost: expected });
  });

  it('/v2/rerank (Cohere v2 clients) reaches the same channel', async () => {
    const res = await rerank({ model: 'rerank-v3.5', query: QUERY, documents: DOCS }, '/v2/rerank');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: unknown[] };
    expect(body.results).toEqual(expectedRanking(QUERY, DOCS));
    expect(lastUpstream().path).toBe('/v2/rerank');
    expect((await logFor(res.headers.get('x-request-id')!)).endpoint).toBe('/v2/rerank');
  });

  it('the answer reaches the caller byte for byte', async () => {
    const res = await rerank({ model: 'rerank-v3.5', query: QUERY, documents: DOCS, return_documents: true, custom_field: 'kept' });
    expect(res.status).toBe(200);
    const text = await res.text();
    // The simulator writes JSON.stringify of its answer: compact, fields in its own order.
    const parsed = JSON.parse(text) as { id: string; results: { document: { text: string } }[] };
    expect(text).toBe(JSON.stringify(parsed));
    expect(text.startsWith(`{"id":"${parsed.id}","results":[{"index":1,`)).toBe(true);
    expect(parsed.results[0].document).toEqual({ text: DOCS[1] });
    // Fields the gateway does not know still reach the provider.
    expect(lastUpstream().body).toMatchObject({ custom_field: 'kept', return_documents: true });
  });

  it('a Jina channel answers in Jina shape, charged by the tokens Jina reported', async () => {
    const res = await rerank({ model: 'jina-reranker-v2-base-multilingual', query: QUERY, documents: DOCS, top_n: 2 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { total_tokens: number } };
    expect(body).toEqual({
      model: 'jina-reranker-v2-base-multilingual',
      usage: { total_tokens: expect.any(Number) },
      results: rankDocuments(QUERY, DOCS)
        .slice(0, 2)
        .map((d) => ({ index: d.index, relevance_score: d.relevance_score, document: { text: d.text } })),
    });
    expect(lastUpstream()).toMatchObject({ path: '/v1/rerank', headers: { authorization: `Bearer ${SIM_KEY}` } });

    const id = res.headers.get('x-request-id')!;
    const expected = Math.ceil((body.usage.total_tokens * JINA_PER_K_TOKENS * MICRO) / 1000);
    expect(await ledgerFor(id)).toMatchObject([{ kind: 'charge', amount: -expected, reason: 'jina-reranker-v2-base-multilingual' }]);
    expect(await logFor(id)).toMatchObject({ prompt_tokens: body.usage.total_tokens, cost: expected });
  });

  it('an answer without usage is charged by the gateway’s own count', async () => {
    // The directive makes the simulator leave usage out; the gateway counts query × documents + documents.
    const query = `${QUERY} [[sim no-usage]]`;
    const res = await rerank({ model: 'jina-reranker-v2-base-multilingual', query, documents: DOCS });
    expect(res.status).toBe(200);
    expect(await res.json()).not.toHaveProperty('usage');
    const tokens = rerankQuote(query, DOCS).promptTokens;
    const expected = Math.ceil((tokens * JINA_PER_K_TOKENS * MICRO) / 1000);
    const id = res.headers.get('x-request-id')!;
    expect(await ledgerFor(id)).toMatchObject([{ kind: 'charge', amount: -expected }]);
    expect(await logFor(id)).toMatchObject({ prompt_tokens: tokens });
  });

  it('an OpenAI-compatible server is asked at {base}/rerank', async () => {
    const res = await rerank({ model: 'bge-reranker-v2-m3', query: QUERY, documents: DOCS });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: unknown[]; meta: { tokens: { input_tokens: number } } };
    expect(body.results).toEqual(expectedRanking(QUERY, DOCS));
    expect(lastUpstream()).toMatchObject({ path: '/v1/rerank', body: { model: 'bge-reranker-v2-m3' } });
    const expected = Math.ceil((body.meta.tokens.input_tokens * BGE_PER_K_TOKENS * MICRO) / 1000);
    expect(await ledgerFor(res.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -expected, reason: 'bge-reranker-v2-m3' }]);
  });

  it('a Zhipu channel answers in Zhipu shape at {v4 base}/rerank, charged by its prompt tokens', async () => {
    const res = await rerank({ model: 'rerank', query: QUERY, documents: DOCS, top_n: 1, return_documents: true });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: unknown[]; usage: { prompt_tokens: number; total_tokens: number } };
    const best = rankDocuments(QUERY, DOCS)[0];
    expect(body.results).toEqual([{ document: best.text, index: best.index, relevance_score: best.relevance_score }]);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(lastUpstream()).toMatchObject({ path: '/api/paas/v4/rerank', headers: { authorization: `Bearer ${SIM_KEY}` } });
    const expected = Math.ceil((body.usage.prompt_tokens * ZHIPU_PER_K_TOKENS * MICRO) / 1000);
    expect(await ledgerFor(res.headers.get('x-request-id')!)).toMatchObject([{ kind: 'charge', amount: -expected, reason: 'rerank' }]);
  });

  it('a failing channel fails over to the next one; the caller sees the good answer', async () => {
    const before = failing.stats.total;
    const res = await rerank({ model: 'rerank-failover', query: QUERY, documents: DOCS });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results).toEqual(expectedRanking(QUERY, DOCS));
    expect(failing.stats.total).toBeGreaterThan(before);
    const log = await logFor(res.headers.get('x-request-id')!);
    expect(log.attempts).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(log.attempt_log!).at(-1)).toMatchObject({ code: null });
  });

  describe('bad requests are 400s in the OpenAI envelope, before any upstream call, charging nothing', () => {
    const cases: [string, Record<string, unknown>, string, RegExp][] = [
      ['an empty query', { query: '' }, 'query', /'query' must not be empty/],
      ['a blank query', { query: '   ' }, 'query', /'query' must not be empty/],
      ['no query', { query: undefined }, 'query', /Missing required parameter: 'query'/],
      ['no documents', { documents: [] }, 'documents', /'documents' must not be empty/],
      ['1001 documents', { documents: Array.from({ length: 1001 }, (_, i) => `doc ${i}`) }, 'documents', /Too many documents: 1001 sent, at most 1000/],
      ['top_n 0', { top_n: 0 }, 'top_n', /'top_n' must be at least 1/],
      ['a document without text', { documents: ['a', { title: 'b' }] }, 'documents[1]', /'documents\[1\]' must be a string or an object with a 'text' field/],
      ['a number as document', { documents: ['a', 7] }, 'documents[1]', /Invalid value for 'documents\[1\]'/],
    ];
    it.each(cases)('%s', async (_name, override, param, message) => {
      const simBefore = t.sim.stats.total;
      const balance = await balanceOf(t, user.cookie);
      const res = await rerank({ model: 'rerank-v3.5', query: QUERY, documents: DOCS, ...override });
      expect(res.status).toBe(400);
      const err = ((await res.json()) as { error: { message: string; type: string; param: string } }).error;
      expect(err).toMatchObject({ type: 'invalid_request_error', param });
      expect(err.message).toMatch(message);
      expect(t.sim.stats.total).toBe(simBefore);
      await t.flushLogs();
      expect(await balanceOf(t, user.cookie)).toBe(balance);
    });
  });

  it('a call without the gateway key is refused in the OpenAI envelope', async () => {
    const res = await rerank({ model: 'rerank-v3.5', query: QUERY, documents: DOCS }, '/v1/rerank', null);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('the management API lists Cohere and Jina as provider kinds serving rerank', async () => {
    const r = await t.api<{ items: { kind: string; label: string; operations: string[] }[] }>('GET', '/api/admin/providers', undefined, { token: t.rootToken });
    expect(r.status).toBe(200);
    const byKind = new Map(r.body.items.map((p) => [p.kind, p]));
    expect(byKind.get('cohere')).toMatchObject({ label: 'Cohere', operations: ['rerank'] });
    expect(byKind.get('jina')).toMatchObject({ label: 'Jina AI', operations: ['rerank'] });
    expect(byKind.get('openai-compatible')!.operations).toContain('rerank');
    expect(byKind.get('zhipu')!.operations).toContain('rerank');
  });
});
