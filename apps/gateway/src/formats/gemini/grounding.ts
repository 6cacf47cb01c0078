/**
 * Gemini's Google Search grounding (https://ai.google.dev/gemini-api/docs/google-search) ⇄ the
 * canonical web search: the `googleSearch` tool a translated call offers, and the answer's
 * `groundingMetadata` — the queries it ran (`webSearchQueries`, each counted as a search), the pages
 * (`groundingChunks[].web`) and which stretches of the text they back (`groundingSupports`).
 */
import type { CanonicalCitation, CanonicalSearch, WebSearchRequest } from '../canonical/types.js';
import { arr, mintId, num, obj, str } from '../canonical/util.js';
import { titleOf } from '../canonical/web-search.js';

type Json = Record<string, unknown>;

const SEARCH_TOOLS = ['googleSearch', 'google_search', 'googleSearchRetrieval', 'google_search_retrieval'];

/** A caller's Gemini tool entry that asks for Google Search, as a canonical web search. */
export function webSearchFrom(tool: Json): WebSearchRequest | null {
  const name = SEARCH_TOOLS.find((k) => tool[k] !== undefined);
  return name ? { tool: name } : null;
}

/** Tool entries of a caller's Gemini request that are neither functions nor search (code execution, URL context...). */
export function otherTools(tool: Json): string[] {
  return Object.keys(tool).filter((k) => !SEARCH_TOOLS.includes(k) && k !== 'functionDeclarations' && k !== 'function_declarations');
}

/**
 * Whether Gemini runs the search for this request: Google Search grounding is not combined with
 * function calling on the Gemini API's 2.x models, so a request that also offers functions (every
 * coding agent's) keeps them and leaves the search out rather than be refused.
 */
export function groundsSearch(functionTools: number): boolean {
  return functionTools === 0;
}

export const GOOGLE_SEARCH_TOOL: Json = { googleSearch: {} };

/** What one answer's grounding says: the search it ran and the stretches of `text` its pages back. */
export function groundingOf(meta: unknown, text: string): { search: CanonicalSearch; citations: CanonicalCitation[] } | null {
  const m = obj(meta);
  if (!m) return null;
  const queries = arr(m.webSearchQueries ?? m.web_search_queries).filter((q): q is string => typeof q === 'string');
  const pages = arr(m.groundingChunks ?? m.grounding_chunks).map((c) => {
    const web = obj(obj(c)?.web) ?? {};
    return { url: str(web.uri) ?? '', title: titleOf(web) };
  });
  if (!queries.length && !pages.length) return null;
  const citations: CanonicalCitation[] = [];
  let cursor = 0;
  for (const raw of arr(m.groundingSupports ?? m.grounding_supports)) {
    const support = obj(raw) ?? {};
    const span = spanOf(obj(support.segment) ?? {}, text, cursor);
    if (!span) continue;
    cursor = span.start;
    for (const i of arr(support.groundingChunkIndices ?? support.grounding_chunk_indices)) {
      const page = typeof i === 'number' ? pages[i] : undefined;
      if (page?.url) citations.push({ url: page.url, title: page.title, start: span.start, end: span.end });
    }
  }
  return { search: { id: mintId('ws_'), queries, sources: pages.filter((p) => p.url) }, citations };
}

/**
 * Where a grounded segment sits in the answer's text, in characters. Gemini gives the segment's
 * text and its offsets in bytes of UTF-8 (within its part): the text is looked for first (from the
 * previous segment on), the byte offsets are the fallback.
 */
function spanOf(segment: Json, text: string, from: number): { start: number; end: number } | null {
  const quoted = str(segment.text);
  if (quoted) {
    const at = text.indexOf(quoted, from);
    const found = at >= 0 ? at : text.indexOf(quoted);
    if (found >= 0) return { start: found, end: found + quoted.length };
  }
  const endByte = num(segment.endIndex ?? segment.end_index);
  if (endByte === undefined) return null;
  const bytes = Buffer.from(text, 'utf8');
  const chars = (b: number) => bytes.subarray(0, Math.min(b, bytes.length)).toString('utf8').length;
  return { start: chars(num(segment.startIndex ?? segment.start_index) ?? 0), end: chars(endByte) };
}

/**
 * Another provider's web searches as Gemini's `groundingMetadata` for a Gemini caller: the queries,
 * every page as a grounding chunk, and each citation as a grounding support whose segment gives its
 * text and its offsets in UTF-8 bytes, as Gemini does. Null when the answer searched nothing.
 */
export function groundingMetadataOut(searches: readonly CanonicalSearch[], citations: readonly CanonicalCitation[], text: string): Json | null {
  if (!searches.length) return null;
  const chunks: Json[] = [];
  const index = new Map<string, number>();
  const chunkOf = (url: string, title?: string) => {
    if (!index.has(url)) {
      index.set(url, chunks.length);
      chunks.push({ web: { uri: url, ...(title ? { title } : {}) } });
    }
    return index.get(url)!;
  };
  for (const s of searches) for (const p of s.sources) chunkOf(p.url, p.title);
  const supports = citations.map((c) => {
    const segment = text.slice(c.start, c.end);
    const startIndex = Buffer.byteLength(text.slice(0, c.start), 'utf8');
    return { segment: { ...(startIndex ? { startIndex } : {}), endIndex: startIndex + Buffer.byteLength(segment, 'utf8'), text: segment }, groundingChunkIndices: [chunkOf(c.url, c.title)] };
  });
  return { webSearchQueries: searches.flatMap((s) => s.queries), groundingChunks: chunks, ...(supports.length ? { groundingSupports: supports } : {}) };
}
