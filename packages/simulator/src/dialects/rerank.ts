// Rerank (§15.4): the de-facto API of Cohere (POST /v1/rerank, /v2/rerank) and Jina (same path
// and request, its own response and error shapes: chosen when the model name contains "jina").
// Public references: https://docs.cohere.com/reference/rerank and https://jina.ai/reranker/.
// Scores are deterministic: the share of the query's words found in the document.
import { randomUUID } from 'node:crypto';
import { stripDirective } from '../controls.js';
import type { Ctx, Dialect, Outcome, Route } from '../route.js';
import type { TokenCounter } from '../tokens.js';
import { bearer } from './openai.js';

const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}';
/** Words: runs of letters/digits, lower-cased; each CJK character counts as one word. */
const WORD_RE = new RegExp(`[${CJK}]|(?:(?![${CJK}])[\\p{L}\\p{N}])+`, 'gu');

export function rerankWords(text: string): Set<string> {
  return new Set((text.toLowerCase().match(WORD_RE) ?? []) as string[]);
}

/**
 * Relevance of a document to a query: 0.01 + 0.98 × (distinct query words present in the
 * document ÷ distinct query words), rounded to 6 decimals. So a document sharing more of the
 * query's words ranks higher; equal scores keep request order.
 */
export function rerankScore(query: string, document: string): number {
  const q = rerankWords(query);
  if (q.size === 0) return 0.01;
  const d = rerankWords(document);
  let hit = 0;
  for (const w of q) if (d.has(w)) hit++;
  return Math.round((0.01 + (0.98 * hit) / q.size) * 1e6) / 1e6;
}

export interface RankedDocument {
  index: number;
  relevance_score: number;
  text: string;
}

/** All documents ranked by descending score, ties by ascending index. */
export function rankDocuments(query: string, documents: string[]): RankedDocument[] {
  return documents
    .map((text, index) => ({ index, relevance_score: rerankScore(query, text), text }))
    .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
}

/** Simulator rule for rerank tokens: every (query, document) pair is read once. */
export function rerankTokens(tokens: TokenCounter, query: string, documents: string[]): number {
  const q = tokens.count(query);
  let n = 0;
  for (const d of documents) n += q + tokens.count(d);
  return n;
}

export interface RerankRequest {
  model: string | undefined;
  query: string;
  documents: string[];
  topN: number | undefined;
  returnDocuments: boolean | undefined;
}

/** Reads and validates the shared request; a string is the error message. */
export function parseRerank(body: unknown, opts: { requireModel?: boolean; topNZeroIsAll?: boolean } = {}): RerankRequest | string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'invalid request: body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (opts.requireModel && (typeof b.model !== 'string' || !b.model)) return 'invalid request: model is required';
  if (typeof b.query !== 'string' || !stripDirective(b.query).trim()) return 'invalid request: query must be a non-empty string';
  if (!Array.isArray(b.documents) || b.documents.length === 0) return 'invalid request: documents must be a non-empty array';
  const documents: string[] = [];
  for (const d of b.documents) {
    if (typeof d === 'string') documents.push(d);
    else if (d && typeof d === 'object') {
      const o = d as Record<string, unknown>;
      const fields = Array.isArray(b.rank_fields) ? (b.rank_fields as unknown[]).filter((k): k is string => typeof k === 'string') : null;
      if (fields) documents.push(fields.map((k) => (o[k] === undefined ? '' : String(o[k]))).join('\n'));
      else if (typeof o.text === 'string') documents.push(o.text);
      else return 'invalid request: each document must be a string or an object with a text field';
    } else return 'invalid request: each document must be a string or an object with a text field';
  }
  let topN: number | undefined;
  if (b.top_n !== undefined && b.top_n !== null) {
    const n = Number(b.top_n);
    if (!Number.isInteger(n) || n < 0 || (n === 0 && !opts.topNZeroIsAll)) return 'invalid request: top_n must be a positive integer';
    topN = n === 0 ? undefined : n;
  }
  return {
    model: typeof b.model === 'string' ? b.model : undefined,
    query: stripDirective(b.query),
    documents,
    topN,
    returnDocuments: typeof b.return_documents === 'boolean' ? b.return_documents : undefined,
  };
}

function cohereError(status: number, message: string): Outcome {
  return { kind: 'json', status, body: { message } };
}

function jinaError(status: number, message: string): Outcome {
  return { kind: 'json', status, body: { detail: message } };
}

export const cohereDialect: Dialect = {
  name: 'cohere',
  authorize: (ctx, apiKey) => (bearer(ctx.req) === apiKey ? null : cohereError(401, 'invalid api token')),
  error: (status, message) => cohereError(status, message),
  modelNotFound: (model) => cohereError(404, `model '${model}' not found, make sure the correct model ID was used and that you have access to the model.`),
};

export const jinaDialect: Dialect = {
  name: 'jina',
  authorize: (ctx, apiKey) => (bearer(ctx.req) === apiKey ? null : jinaError(401, 'Unauthorized: invalid API key')),
  error: (status, message) => jinaError(status, message),
  modelNotFound: (model) => jinaError(400, `Model ${model} is not available`),
};

function cohereRerank(ctx: Ctx, v2: boolean): Outcome {
  const r = parseRerank(ctx.body, { requireModel: v2 });
  if (typeof r === 'string') return cohereError(400, r);
  const ranked = rankDocuments(r.query, r.documents).slice(0, r.topN);
  const results = ranked.map((d) => ({ index: d.index, relevance_score: d.relevance_score, ...(r.returnDocuments ? { document: { text: d.text } } : {}) }));
  // The simulator reports api_version "2" on both paths.
  const meta: Record<string, unknown> = { api_version: { version: '2' } };
  if (!ctx.controls.noUsage) {
    meta.billed_units = { search_units: Math.max(1, Math.ceil(r.documents.length / 100)) };
    meta.tokens = { input_tokens: rerankTokens(ctx.sim.tokens, r.query, r.documents), output_tokens: 0 };
  }
  return { kind: 'json', body: { id: randomUUID(), results, meta } };
}

function jinaRerank(ctx: Ctx): Outcome {
  const r = parseRerank(ctx.body);
  if (typeof r === 'string') return jinaError(400, r);
  const ranked = rankDocuments(r.query, r.documents).slice(0, r.topN);
  const withDocs = r.returnDocuments ?? true; // Jina returns the documents unless asked not to
  const out: Record<string, unknown> = { model: r.model ?? 'jina-reranker-v2-base-multilingual' };
  if (!ctx.controls.noUsage) out.usage = { total_tokens: rerankTokens(ctx.sim.tokens, r.query, r.documents) };
  out.results = ranked.map((d) => ({ index: d.index, relevance_score: d.relevance_score, ...(withDocs ? { document: { text: d.text } } : {}) }));
  return { kind: 'json', body: out };
}

export const isJinaModel = (body: unknown): boolean => {
  const m = body && typeof body === 'object' ? (body as { model?: unknown }).model : undefined;
  return typeof m === 'string' && m.toLowerCase().includes('jina');
};
const bodyModel = (ctx: Ctx): string | undefined => (typeof ctx.body?.model === 'string' ? ctx.body.model : undefined);
const queryOf = (b: { query?: unknown }): string => (typeof b.query === 'string' ? b.query : '');

export const rerankRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v1\/rerank\/?$/, dialect: jinaDialect, when: (_req, body) => isJinaModel(body), directiveText: queryOf, model: bodyModel, handle: jinaRerank },
  { method: 'POST', pattern: /^\/v1\/rerank\/?$/, dialect: cohereDialect, directiveText: queryOf, model: bodyModel, handle: (ctx) => cohereRerank(ctx, false) },
  { method: 'POST', pattern: /^\/v2\/rerank\/?$/, dialect: cohereDialect, directiveText: queryOf, model: bodyModel, handle: (ctx) => cohereRerank(ctx, true) },
];
