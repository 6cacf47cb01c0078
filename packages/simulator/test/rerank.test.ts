import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankDocuments, rerankScore, startSimulator, type Simulator } from '@apigpt/simulator';
import { postJson, tok } from './helpers.js';

const KEY = 'rr-key';
let sim: Simulator;
const auth = { authorization: `Bearer ${KEY}` };
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
});
afterAll(() => sim.close());

const query = 'What is the capital of the United States?';
const documents = [
  'Carson City is the capital city of the American state of Nevada.',
  'The Commonwealth of the Northern Mariana Islands is a group of islands in the Pacific Ocean. Its capital is Saipan.',
  'Washington, D.C. is the capital of the United States.',
  'Capital punishment has existed in the United States since before it was a country.',
];
const pairTokens = (q: string, docs: string[]) => docs.reduce((n, d) => n + tok(q) + tok(d), 0);

describe('rerank scoring', () => {
  it('ranks by shared query words, ties by index, deterministic', () => {
    expect(rerankScore('capital of the United States', documents[2])).toBe(0.99); // every query word present
    expect(rerankScore(query, documents[2])).toBe(0.85); // 6 of 7 ('what' is missing)
    expect(rerankScore('apple banana', 'cherry')).toBe(0.01);
    expect(rerankScore('apple banana', 'banana split')).toBe(0.5);
    const ranked = rankDocuments(query, documents);
    expect(ranked[0].index).toBe(2);
    expect(ranked.map((r) => r.index)).toEqual(rankDocuments(query, documents).map((r) => r.index));
    const ties = rankDocuments('zebra', ['a', 'b', 'c']);
    expect(ties.map((r) => r.index)).toEqual([0, 1, 2]);
    // CJK: each character is a word.
    expect(rerankScore('北京天气', '北京今天天气很好')).toBe(0.99);
  });
});

describe('POST /v1/rerank and /v2/rerank', () => {
  it('Cohere shape: sorted results, top_n, documents on request, search units and tokens', async () => {
    const r = await (await postJson(`${sim.url}/v1/rerank`, { model: 'rerank-v3.5', query, documents, top_n: 2, return_documents: true }, auth)).json();
    expect(typeof r.id).toBe('string');
    expect(r.results).toHaveLength(2);
    expect(r.results[0]).toEqual({ index: 2, relevance_score: rerankScore(query, documents[2]), document: { text: documents[2] } });
    expect(r.results[0].relevance_score).toBeGreaterThan(r.results[1].relevance_score);
    expect(r.meta).toEqual({ api_version: { version: '2' }, billed_units: { search_units: 1 }, tokens: { input_tokens: pairTokens(query, documents), output_tokens: 0 } });

    const all = await (await postJson(`${sim.url}/v2/rerank`, { model: 'rerank-v3.5', query, documents: documents.map((text) => ({ text })) }, auth)).json();
    expect(all.results).toHaveLength(4);
    expect(all.results[0].document).toBeUndefined();
    expect(all.results.map((x: { index: number }) => x.index).sort()).toEqual([0, 1, 2, 3]);
  });

  it('one search unit per started 100 documents', async () => {
    const many = Array.from({ length: 250 }, (_, i) => `document number ${i}`);
    const r = await (await postJson(`${sim.url}/v1/rerank`, { model: 'rerank-english-v3.0', query: 'number 7', documents: many, top_n: 3 }, auth)).json();
    expect(r.meta.billed_units.search_units).toBe(3);
    expect(r.results).toHaveLength(3);
  });

  it('Jina shape when the model names Jina; documents returned by default', async () => {
    const r = await (await postJson(`${sim.url}/v1/rerank`, { model: 'jina-reranker-v2-base-multilingual', query, documents, top_n: 3 }, auth)).json();
    expect(Object.keys(r).sort()).toEqual(['model', 'results', 'usage']);
    expect(r.model).toBe('jina-reranker-v2-base-multilingual');
    expect(r.usage).toEqual({ total_tokens: pairTokens(query, documents) });
    expect(r.results[0]).toEqual({ index: 2, relevance_score: 0.85, document: { text: documents[2] } });
    const bare = await (await postJson(`${sim.url}/v1/rerank`, { model: 'jina-reranker-m0', query, documents, return_documents: false }, auth)).json();
    expect(bare.results[0].document).toBeUndefined();
    const bad = await postJson(`${sim.url}/v1/rerank`, { model: 'jina-reranker-m0', documents }, auth);
    expect(bad.status).toBe(400);
    expect(typeof (await bad.json()).detail).toBe('string');
  });

  it('400 on missing query or documents; v2 needs a model; auth; faults; recorded', async () => {
    for (const body of [{ model: 'rerank-v3.5', documents }, { model: 'rerank-v3.5', query }, { model: 'rerank-v3.5', query, documents: [] }, { model: 'rerank-v3.5', query: '', documents }]) {
      const r = await postJson(`${sim.url}/v1/rerank`, body, auth);
      expect(r.status).toBe(400);
      expect(typeof (await r.json()).message).toBe('string');
    }
    expect((await postJson(`${sim.url}/v2/rerank`, { query, documents }, auth)).status).toBe(400);
    const denied = await postJson(`${sim.url}/v1/rerank`, { model: 'rerank-v3.5', query, documents }, { authorization: 'Bearer nope' });
    expect(denied.status).toBe(401);
    expect(await denied.json()).toEqual({ message: 'invalid api token' });
    const limited = await postJson(`${sim.url}/v1/rerank`, { model: 'rerank-v3.5', query, documents }, { ...auth, 'x-sim-fault': 'status:429:retry-after=1' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    const viaDirective = await postJson(`${sim.url}/v1/rerank`, { model: 'rerank-v3.5', query: `${query} [[sim fault=status:503]]`, documents }, auth);
    expect(viaDirective.status).toBe(503);
    const noUsage = await (await postJson(`${sim.url}/v1/rerank`, { model: 'rerank-v3.5', query, documents }, { ...auth, 'x-sim-no-usage': '1' })).json();
    expect(noUsage.meta).toEqual({ api_version: { version: '2' } });
    expect(sim.requests.at(-1)).toMatchObject({ path: '/v1/rerank', body: { model: 'rerank-v3.5', query } });
  });
});

describe('Zhipu POST /api/paas/v4/rerank', () => {
  it('same request; {id, created, request_id, results, usage}; string documents; top_n 0 = all', async () => {
    const url = `${sim.url}/api/paas/v4/rerank`;
    const r = await (await postJson(url, { model: 'rerank', query, documents, top_n: 0, return_documents: true, request_id: 'req-1' }, auth)).json();
    expect(typeof r.id).toBe('string');
    expect(typeof r.created).toBe('number');
    expect(r.request_id).toBe('req-1');
    expect(r.results).toHaveLength(4);
    expect(r.results[0]).toEqual({ document: documents[2], index: 2, relevance_score: 0.85 });
    expect(r.usage).toEqual({ prompt_tokens: pairTokens(query, documents), total_tokens: pairTokens(query, documents) });
    const two = await (await postJson(url, { model: 'rerank', query, documents, top_n: 2 }, auth)).json();
    expect(two.results).toHaveLength(2);
    expect(two.results[0].document).toBeUndefined();
    const bad = await postJson(url, { model: 'rerank', query }, auth);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('1214');
    const denied = await postJson(url, { model: 'rerank', query, documents }, { authorization: 'Bearer wrong' });
    expect(denied.status).toBe(401);
    expect((await denied.json()).error.code).toBe('1002');
  });
});
