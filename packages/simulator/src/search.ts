// Simulated web search, for the providers that run one themselves: Anthropic's web search server
// tool and Gemini's Google Search grounding. A search runs when the tool is offered and the last
// user text asks for one (contains "search"); its results are two pages of a fixed shape, and the
// answer's last sentence is cited from them. Deterministic, so tests compute what to expect.

/** The sentence of the default reply that the search results back (the whole reply otherwise). */
export const CITED_SENTENCE = 'The quick brown fox jumps over the lazy dog.';

/** What Anthropic's model writes before it searches (a text block of its own). */
export const SEARCH_PREFACE = 'Let me search the web for that.';

export interface SearchPage {
  url: string;
  title: string;
}

export interface SimulatedSearch {
  query: string;
  pages: SearchPage[];
}

/** Whether the last user text asks for a search (the tool must be offered too). */
export function asksToSearch(lastUserText: string): boolean {
  return /search/i.test(lastUserText);
}

/**
 * The search for a user text: the query is that text (whitespace folded, at most 100 characters);
 * two pages on the first allowed domain (default `docs.example.com`), `/<slug>/1` and `/<slug>/2`.
 */
export function runSearch(lastUserText: string, allowedDomains?: unknown): SimulatedSearch {
  const query = lastUserText.replace(/\s+/g, ' ').trim().slice(0, 100);
  const host = Array.isArray(allowedDomains) && typeof allowedDomains[0] === 'string' ? allowedDomains[0] : 'docs.example.com';
  const slug = query.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'result';
  return { query, pages: [1, 2].map((n) => ({ url: `https://${host}/${slug}/${n}`, title: `${query} — result ${n}` })) };
}

/** The reply split into its uncited start and its cited end (the cited sentence, else all of it). */
export function citedSplit(reply: string): { before: string; cited: string } {
  return reply.endsWith(CITED_SENTENCE) && reply.length > CITED_SENTENCE.length
    ? { before: reply.slice(0, reply.length - CITED_SENTENCE.length), cited: CITED_SENTENCE }
    : { before: '', cited: reply };
}
