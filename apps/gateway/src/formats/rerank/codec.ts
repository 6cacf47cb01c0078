import type { Usage } from '../../core/calls.js';
import { utf8Text } from '../../core/utf8.js';
import { EXACT_COUNT, type TokenCount } from '../tokens.js';
import { DOCUMENTS_PER_SEARCH } from './schemas.js';

/**
 * What a rerank call costs, in the units providers bill it by: tokens (Jina, Zhipu, self-hosted
 * servers: the query is read once with every document) and search units (Cohere: one query with
 * up to 100 documents).
 */

/** The text a provider ranks for one document: a string, its `text`, or the `rank_fields` joined by lines. */
export function documentText(doc: unknown, rankFields: readonly string[] | null | undefined): string {
  if (typeof doc === 'string') return doc;
  if (!doc || typeof doc !== 'object') return '';
  const o = doc as Record<string, unknown>;
  if (rankFields?.length) return rankFields.map((k) => (o[k] === undefined || o[k] === null ? '' : String(o[k]))).join('\n');
  return typeof o.text === 'string' ? o.text : '';
}

/** Search units of a call: ceil(documents / 100), at least one. */
export function searchUnits(documents: number): number {
  return Math.max(1, Math.ceil(documents / DOCUMENTS_PER_SEARCH));
}

/** Units known before the call: tokens of the query once per document plus the documents, and the search units. */
export function rerankQuote(query: string, documents: readonly unknown[], rankFields?: readonly string[] | null, count: TokenCount = EXACT_COUNT): Usage {
  const q = count.text(query);
  let promptTokens = 0;
  for (const d of documents) promptTokens += q + count.text(documentText(d, rankFields));
  return { promptTokens, completionTokens: 0, cachedTokens: 0, searches: searchUnits(documents.length), estimated: true };
}

interface RerankAnswer {
  meta?: { billed_units?: { search_units?: unknown; input_tokens?: unknown }; tokens?: { input_tokens?: unknown } };
  usage?: { total_tokens?: unknown; prompt_tokens?: unknown };
}

/**
 * The units a provider reported in its answer: Cohere's `meta.billed_units.search_units` and
 * `meta.tokens.input_tokens` (https://docs.cohere.com/reference/rerank), Jina's and vLLM's
 * `usage.total_tokens`, Zhipu's `usage.prompt_tokens`. A unit the provider did not report keeps
 * the gateway's own count (Cohere often reports searches only; Jina tokens only), so a model
 * priced by either unit is charged whichever provider served it. Null when the answer reports
 * nothing (the quote's estimate then stands).
 */
export function readRerankUsage(body: Buffer, quoted: Usage): Usage | null {
  let a: RerankAnswer | null;
  try {
    a = JSON.parse(utf8Text(body)) as RerankAnswer | null;
  } catch {
    return null;
  }
  if (!a || typeof a !== 'object') return null;
  const searches = count(a.meta?.billed_units?.search_units);
  const tokens = count(a.meta?.tokens?.input_tokens) ?? count(a.meta?.billed_units?.input_tokens) ?? count(a.usage?.prompt_tokens) ?? count(a.usage?.total_tokens);
  if (searches === undefined && tokens === undefined) return null;
  return { ...quoted, promptTokens: tokens ?? quoted.promptTokens, searches: searches ?? quoted.searches, estimated: tokens === undefined };
}

function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}
