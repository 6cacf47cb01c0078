/**
 * Anthropic's web search server tool (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/web-search-tool)
 * ⇄ the canonical web search: the tool a translated call offers, the `server_tool_use` /
 * `web_search_tool_result` blocks and `web_search_result_location` citations of its answer (whole
 * and streamed), and the searches it counts (`usage.server_tool_use.web_search_requests`).
 */
import type { CanonicalCitation, CanonicalEvent, CanonicalSearch, WebSearchRequest } from '../canonical/types.js';
import { arr, obj, str } from '../canonical/util.js';
import { domains, locationFrom, positive, titleOf } from '../canonical/web-search.js';
import { SEARCH_ALLOWANCE } from '../quote.js';

type Json = Record<string, unknown>;

/** The version of the tool the gateway offers. */
export const WEB_SEARCH_TOOL = 'web_search_20250305';

/** A caller's Anthropic server tool that is a web search (`web_search_20250305`, later versions), as a canonical one. */
export function webSearchFrom(t: Json): WebSearchRequest | null {
  if (typeof t.type !== 'string' || !t.type.startsWith('web_search_')) return null;
  return { tool: t.type, maxUses: positive(t.max_uses), allowedDomains: domains(t.allowed_domains), blockedDomains: domains(t.blocked_domains), userLocation: locationFrom(t.user_location) };
}

/**
 * The server tool offered for a canonical web search (Anthropic takes allowed or blocked domains,
 * not both). Its `max_uses` is the caller's limit or the gateway's allowance: the searches the
 * call's reservation covers (quote.ts).
 */
export function webSearchTool(s: WebSearchRequest): Json {
  const tool: Json = { type: WEB_SEARCH_TOOL, name: 'web_search', max_uses: s.maxUses ?? SEARCH_ALLOWANCE };
  if (s.allowedDomains) tool.allowed_domains = s.allowedDomains;
  else if (s.blockedDomains) tool.blocked_domains = s.blockedDomains;
  if (s.userLocation) tool.user_location = { type: 'approximate', ...s.userLocation };
  return tool;
}

/** Web searches the answer reports (`usage.server_tool_use.web_search_requests`), or undefined. */
export function searchesIn(usage: Json): number | undefined {
  const n = obj(usage.server_tool_use)?.web_search_requests;
  return typeof n === 'number' && n >= 0 ? n : undefined;
}

/** The pages a `web_search_tool_result` block lists; a failed search carries an error object instead. */
function searchOf(id: string, query: string | undefined, content: unknown): CanonicalSearch {
  const queries = query ? [query] : [];
  if (!Array.isArray(content)) return { id, queries, sources: [], failed: true };
  const sources = arr(content)
    .map((r) => obj(r) ?? {})
    .filter((r) => r.type === 'web_search_result' && typeof r.url === 'string')
    .map((r) => ({ url: r.url as string, title: titleOf(r) }));
  return { id, queries, sources };
}

/** `web_search_result_location` citations of a text block spanning [start, end) of the answer's text. */
function citationsOf(list: unknown, start: number, end: number): CanonicalCitation[] {
  return arr(list)
    .map((c) => obj(c) ?? {})
    .filter((c) => c.type === 'web_search_result_location' && typeof c.url === 'string')
    .map((c) => ({ url: c.url as string, title: titleOf(c), start, end }));
}

/** Searches and citations of a whole answer's content blocks, read in order alongside its text. */
export class AnswerSearches {
  readonly searches: CanonicalSearch[] = [];
  readonly citations: CanonicalCitation[] = [];
  private readonly queries = new Map<string, string | undefined>();

  /** Reads one block; `textBefore` is the length of the answer's text before it, `textAfter` after it. */
  block(b: Json, textBefore: number, textAfter: number): void {
    if (b.type === 'server_tool_use' && b.name === 'web_search') this.queries.set(str(b.id) ?? '', str(obj(b.input)?.query));
    else if (b.type === 'web_search_tool_result') {
      const id = str(b.tool_use_id) ?? '';
      this.searches.push(searchOf(id, this.queries.get(id), b.content));
    } else if (b.type === 'text') this.citations.push(...citationsOf(b.citations, textBefore, textAfter));
  }
}

/**
 * The same, event by event: a `server_tool_use` block's query arrives in `input_json_delta`
 * fragments, its results whole in the `web_search_tool_result` block that follows (→ a `search`
 * event); a text block's citations come in `citations_delta` events and are known to span the
 * block once it stops (→ `citation` events).
 */
export class StreamSearches {
  /** Characters of answer text so far. */
  private text = 0;
  private readonly serverTools = new Map<number, { id: string; json: string; query?: string }>();
  private readonly queries = new Map<string, string | undefined>();
  private readonly textBlocks = new Map<number, { start: number; citations: unknown[] }>();

  /** Counts answer text as the decoder emits it. */
  addText(n: number): void {
    this.text += n;
  }

  start(index: number, block: Json): CanonicalEvent[] {
    if (block.type === 'server_tool_use' && block.name === 'web_search') {
      this.serverTools.set(index, { id: str(block.id) ?? '', json: '', query: str(obj(block.input)?.query) });
      return [];
    }
    if (block.type === 'web_search_tool_result') {
      const id = str(block.tool_use_id) ?? '';
      return [{ type: 'search', choice: 0, search: searchOf(id, this.queries.get(id), block.content) }];
    }
    if (block.type === 'text') this.textBlocks.set(index, { start: this.text, citations: [...arr(block.citations)] });
    return [];
  }

  /** A delta of a block this reader follows; false when it is not one. */
  delta(index: number, delta: Json): boolean {
    const tool = this.serverTools.get(index);
    if (tool && delta.type === 'input_json_delta') {
      tool.json += str(delta.partial_json) ?? '';
      return true;
    }
    if (delta.type === 'citations_delta') {
      this.textBlocks.get(index)?.citations.push(delta.citation);
      return true;
    }
    return false;
  }

  stop(index: number): CanonicalEvent[] {
    const tool = this.serverTools.get(index);
    if (tool) {
      this.serverTools.delete(index);
      let query = tool.query;
      try {
        query = str(obj(JSON.parse(tool.json || '{}'))?.query) ?? query;
      } catch {
        /* an unreadable query is left out; the search's results still count */
      }
      this.queries.set(tool.id, query);
      return [];
    }
    const block = this.textBlocks.get(index);
    if (!block) return [];
    this.textBlocks.delete(index);
    return citationsOf(block.citations, block.start, this.text).map((citation) => ({ type: 'citation', choice: 0, citation }));
  }
}

/**
 * Another provider's web search (Gemini's grounding, ...) as Anthropic's server tool blocks for an
 * Anthropic caller: the `server_tool_use` that ran the query and its `web_search_tool_result` with
 * the pages. `encrypted_content` is Anthropic's own sealed copy of a page, which the gateway cannot
 * make: it is empty, never made up (the blocks are left out when the caller sends them back to
 * another provider, and Anthropic would refuse them).
 */
export function searchBlocksOut(s: CanonicalSearch): { use: Json; result: Json } {
  const id = s.id.startsWith('srvtoolu_') ? s.id : `srvtoolu_${s.id.replace(/^ws_/, '')}`;
  return {
    use: { type: 'server_tool_use', id, name: 'web_search', input: { query: s.queries.join(' ') } },
    result: {
      type: 'web_search_tool_result',
      tool_use_id: id,
      content: s.failed ? { type: 'web_search_tool_result_error', error_code: 'unavailable' } : s.sources.map((p) => ({ type: 'web_search_result', url: p.url, title: p.title ?? p.url, encrypted_content: '', page_age: null })),
    },
  };
}

/** A citation of `text` as Anthropic's `web_search_result_location` (its `encrypted_index` is Anthropic's own: empty). */
export function citationOut(c: CanonicalCitation, text: string): Json {
  return { type: 'web_search_result_location', url: c.url, title: c.title ?? c.url, cited_text: text.slice(c.start, c.end), encrypted_index: '' };
}

/** The answer's text as text blocks, the cited stretches as blocks of their own with their citations. */
export function citedTextBlocks(text: string, citations: readonly CanonicalCitation[]): Json[] {
  const spans = [...citations].sort((a, b) => a.start - b.start || a.end - b.end);
  const blocks: Json[] = [];
  let at = 0;
  for (let i = 0; i < spans.length; ) {
    const { start, end } = spans[i];
    if (start < at) {
      i++;
      continue;
    }
    const same = spans.filter((c) => c.start === start && c.end === end);
    if (start > at) blocks.push({ type: 'text', text: text.slice(at, start) });
    blocks.push({ type: 'text', text: text.slice(start, end), citations: same.map((c) => citationOut(c, text)) });
    at = end;
    i += same.length;
  }
  if (at < text.length || !blocks.length) blocks.push({ type: 'text', text: text.slice(at) });
  return blocks;
}
