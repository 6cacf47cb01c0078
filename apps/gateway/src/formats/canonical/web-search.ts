import type { CanonicalCitation, WebSearchRequest } from './types.js';
import { arr, num, obj, str } from './util.js';

type Json = Record<string, unknown>;

/**
 * An approximate user location in any of the callers' shapes (Responses `user_location`, Chat's
 * `user_location.approximate`, Anthropic's `user_location`): only the fields every provider knows.
 */
export function locationFrom(v: unknown): WebSearchRequest['userLocation'] {
  const o = obj(v);
  const at = obj(o?.approximate) ?? o;
  if (!at) return undefined;
  const loc: NonNullable<WebSearchRequest['userLocation']> = {};
  for (const k of ['city', 'region', 'country', 'timezone'] as const) if (typeof at[k] === 'string' && at[k]) loc[k] = at[k] as string;
  return Object.keys(loc).length ? loc : undefined;
}

/** Domain lists as given (strings only). */
export function domains(v: unknown): string[] | undefined {
  const list = arr(v).filter((d): d is string => typeof d === 'string' && d !== '');
  return list.length ? list : undefined;
}

export function positive(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** A citation as OpenAI's `url_citation` annotation (Chat nests it, the Responses API does not). */
export function urlCitation(c: CanonicalCitation, offset = 0): Json {
  return { type: 'url_citation', start_index: c.start - offset, end_index: c.end - offset, url: c.url, title: c.title ?? c.url };
}

/** The title of a page when the provider gave one. */
export function titleOf(o: Json): string | undefined {
  return str(o.title) || undefined;
}
