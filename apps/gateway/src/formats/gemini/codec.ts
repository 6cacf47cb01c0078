import type { Quote } from '../../core/calls.js';
import { positiveInt, SEARCH_ALLOWANCE, textQuote, withExtras } from '../quote.js';
import { usageIn } from './canonical.js';
import { estimatedUsage } from '../canonical/util.js';
import { parseSseEvent } from '../sse.js';
import { EventTap } from '../tap.js';
import { EXACT_COUNT, textOf, type PromptTokens, type TokenCount } from '../tokens.js';
import type { Operation, Usage } from '../../core/calls.js';
import { ZERO_USAGE } from '../../core/calls.js';
import type { DialectCodec } from '../types.js';
import { geminiStreamError, renderGeminiError } from './errors.js';

export const geminiCodec: DialectCodec = {
  dialect: 'gemini',
  renderError: renderGeminiError,
  streamError: geminiStreamError,
  usageFromBody,
  tapStream: () => new GeminiStreamTap(),
  estimatePrompt,
  quote,
};

type Content = { role?: unknown; parts?: unknown };

function usageFromBody(operation: Operation, body: unknown, promptTokens: PromptTokens): Usage {
  if (operation === 'count_tokens') return ZERO_USAGE;
  // Gemini's embedding endpoints report no usage: the input is counted.
  if (operation === 'embedding') return estimatedUsage(promptTokens, '');
  const b = body as { usageMetadata?: unknown; candidates?: { content?: Content }[] } | null;
  return usageIn(b?.usageMetadata) ?? estimatedUsage(promptTokens, (b?.candidates ?? []).map((c) => textOf(c.content?.parts)).join(''));
}

function estimatePrompt(operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): number {
  if (operation === 'embedding') {
    const reqs = Array.isArray(body.requests) ? (body.requests as { content?: Content }[]) : [body as { content?: Content }];
    return reqs.reduce((n, r) => n + count.text(textOf(r.content?.parts)), 0);
  }
  if (operation !== 'chat' && operation !== 'count_tokens') return 0;
  const source = (body.generateContentRequest as Record<string, unknown> | undefined) ?? body;
  const contents: Content[] = Array.isArray(source.contents) ? source.contents : source.contents ? [source.contents as Content] : [];
  const sys = (source.systemInstruction ?? source.system_instruction) as Content | string | undefined;
  const turns = contents.map((c) => ({ role: c.role ?? 'user', content: textOf(c.parts) }));
  if (sys) turns.unshift({ role: 'system', content: typeof sys === 'string' ? sys : textOf(sys.parts) });
  return count.chat(turns);
}

/**
 * Pass-through tap for Gemini streams (re-framed with LF; Google sends CRLF). Gemini has no end
 * marker, so a stream is complete when a finish reason was seen (§11).
 * usageMetadata comes on every chunk with running figures; only the one on the chunk that finishes
 * the answer is final.
 */
class GeminiStreamTap extends EventTap {
  protected producedText(d: unknown): string {
    // Every part's text, the model's shown thoughts (`thought: true`) included, and whole function
    // calls (name and arguments, as translated streams count them): all of it is output.
    let text = '';
    for (const c of (d as { candidates?: { content?: { parts?: unknown } }[] }).candidates ?? []) {
      for (const p of Array.isArray(c.content?.parts) ? (c.content.parts as { text?: unknown; functionCall?: { name?: unknown; args?: unknown } }[]) : []) {
        if (typeof p?.text === 'string') text += p.text;
        else if (p?.functionCall) text += String(p.functionCall.name ?? '') + JSON.stringify(p.functionCall.args ?? {});
      }
    }
    return text;
  }

  protected onEvent(raw: string): string {
    const ev = parseSseEvent(raw) ?? (raw.trim().startsWith('{') ? { event: null, data: raw.trim() } : null);
    if (!ev) return '';
    if (ev.data.startsWith('{"error"')) {
      this.inBandError = ev.data;
      return `data: ${ev.data}\n\n`;
    }
    this.produced.addRaw(ev.data);
    if (ev.data.includes('"finishReason"')) this.complete = true;
    if (ev.data.includes('"usageMetadata"')) {
      try {
        const u = usageIn((JSON.parse(ev.data) as { usageMetadata?: unknown }).usageMetadata);
        if (u) {
          this.reported = u;
          this.reportedFinal = this.complete;
        }
      } catch {
        /* forwarded as it is */
      }
    }
    return `data: ${ev.data}\n\n`;
  }
}

/** Gemini's `generationConfig.maxOutputTokens` and `candidateCount`; Google Search grounding may search (the gateway's allowance). */
function quote(operation: Operation, body: Record<string, unknown>, count: TokenCount = EXACT_COUNT): Quote {
  const gen = body.generationConfig as Record<string, unknown> | undefined;
  const tools = Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
  const grounded = tools.some((t) => t && ['googleSearch', 'google_search', 'googleSearchRetrieval', 'google_search_retrieval'].some((k) => t[k] !== undefined));
  return withExtras(textQuote(operation, estimatePrompt(operation, body, count), positiveInt(gen?.maxOutputTokens), positiveInt(gen?.candidateCount) ?? 1), { searches: grounded ? SEARCH_ALLOWANCE : 0 });
}
