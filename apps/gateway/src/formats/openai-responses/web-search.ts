/**
 * The Responses API's built-in web search for translated providers: the `web_search` tool (and its
 * preview and dated names) as the canonical web search, the provider's searches as
 * `web_search_call` items, and its citations as `url_citation` annotations of the message text
 * (https://platform.openai.com/docs/guides/tools-web-search).
 */
import type { CanonicalSearch, WebSearchRequest } from '../canonical/types.js';
import { arr, obj, str } from '../canonical/util.js';
import { domains, locationFrom, positive } from '../canonical/web-search.js';

type Json = Record<string, unknown>;

const WEB_SEARCH_TYPES = new Set(['web_search', 'web_search_2025_08_26', 'web_search_preview', 'web_search_preview_2025_03_11']);

/** A Responses tool that is the built-in web search, as a canonical one (`max_tool_calls` bounds its searches). */
export function webSearchFrom(tool: Json, body: Json): WebSearchRequest | null {
  const type = str(tool.type);
  if (!type || !WEB_SEARCH_TYPES.has(type)) return null;
  return { tool: type, maxUses: positive(body.max_tool_calls), allowedDomains: domains(obj(tool.filters)?.allowed_domains), userLocation: locationFrom(tool.user_location) };
}

/** Whether the caller asked for the pages each search found (`include: ["web_search_call.action.sources"]`). */
export function wantsSources(body: Json): boolean {
  return arr(body.include).includes('web_search_call.action.sources');
}

/**
 * A `web_search_call` item: the queries the provider ran (`action.query` is the first, as older
 * clients read it) and, when asked for, the pages it found.
 */
export function webSearchCallItem(id: string, search: CanonicalSearch, sources: boolean): Json {
  const action: Json = { type: 'search', query: search.queries[0] ?? '', queries: search.queries };
  if (sources) action.sources = search.sources.map((s) => ({ type: 'url', url: s.url }));
  return { id, type: 'web_search_call', status: search.failed ? 'failed' : 'completed', action };
}

/**
 * The events of one whole search: added, in progress, searching, completed, done (the provider
 * reports a search once it has its results, so they follow each other).
 */
export function webSearchCallEvents(event: (type: string, data: Json) => string, index: number, item: Json): string {
  const id = item.id;
  let out = event('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', action: { type: 'search' } } });
  out += event('response.web_search_call.in_progress', { output_index: index, item_id: id });
  out += event('response.web_search_call.searching', { output_index: index, item_id: id });
  out += event('response.web_search_call.completed', { output_index: index, item_id: id });
  return out + event('response.output_item.done', { output_index: index, item });
}

/** Searches a Response's output reports (`web_search_call` items of OpenAI's own searches), for pricing. */
export function searchesIn(output: unknown): number {
  return arr(output).filter((i) => obj(i)?.type === 'web_search_call' && obj(obj(i)?.action)?.type !== 'open_page' && obj(obj(i)?.action)?.type !== 'find_in_page').length;
}
