import type { Redaction } from './redaction.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A piece of streamed text inside one event: which text it continues (`key`) and how to read and write it. */
interface DeltaSlot {
  key: string;
  get(): string;
  set(text: string): void;
  /** The event also ends that text (a finish reason rides with it): nothing may be held back. */
  final: boolean;
}

/** A parsed SSE event: its lines, the JSON of its `data:` line, and the blank line that ended it. */
interface ParsedEvent {
  lines: string[];
  dataLine: number;
  json: Json;
  sep: string;
}

/**
 * Where each caller dialect streams text a piece at a time (the fields a placeholder can be split
 * across). Other strings in an event (a Responses `output_text.done`, a final `response.completed`)
 * hold whole texts and are restored whole.
 */
function deltas(dialect: string, p: Json): DeltaSlot[] {
  const out: DeltaSlot[] = [];
  const slot = (o: Json, field: string, key: string, final: boolean) => {
    if (typeof o[field] === 'string') out.push({ key, get: () => o[field] as string, set: (t) => (o[field] = t), final });
  };
  switch (dialect) {
    case 'openai':
      if (Array.isArray(p.choices))
        for (const c of p.choices) {
          if (!isObj(c)) continue;
          const final = c.finish_reason !== null && c.finish_reason !== undefined;
          const i = String(c.index ?? 0);
          if (isObj(c.delta)) {
            slot(c.delta, 'content', `c${i}`, final);
            if (Array.isArray(c.delta.tool_calls))
              for (const t of c.delta.tool_calls) if (isObj(t) && isObj(t.function)) slot(t.function, 'arguments', `t${i}.${String(t.index ?? 0)}`, final);
          } else slot(c, 'text', `c${i}`, final);
        }
      break;
    case 'anthropic':
      if (p.type === 'content_block_delta' && isObj(p.delta)) {
        const i = String(p.index ?? 0);
        slot(p.delta, 'text', `b${i}`, false);
        slot(p.delta, 'partial_json', `b${i}`, false);
      }
      break;
    case 'gemini':
      if (Array.isArray(p.candidates))
        p.candidates.forEach((c, ci) => {
          if (!isObj(c) || !isObj(c.content) || !Array.isArray(c.content.parts)) return;
          const final = typeof c.finishReason === 'string';
          c.content.parts.forEach((part, pi) => isObj(part) && slot(part, 'text', `g${String(c.index ?? ci)}.${pi}`, final));
        });
      break;
    case 'openai-responses':
      if (typeof p.type === 'string' && p.type.endsWith('.delta') && typeof p.delta === 'string') slot(p, 'delta', `${String(p.item_id)}:${String(p.content_index ?? p.output_index ?? 0)}`, false);
      break;
  }
  return out;
}

/** Every string in a JSON value restored in place; true when one changed. */
function restoreAll(v: unknown, r: Redaction): boolean {
  let changed = false;
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      if (typeof x === 'string') {
        const y = r.restore(x);
        if (y !== x) (v[i] = y), (changed = true);
      } else if (restoreAll(x, r)) changed = true;
    });
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string') {
        const y = r.restore(x);
        if (y !== x) (v[k] = y), (changed = true);
      } else if (restoreAll(x, r)) changed = true;
    }
  }
  return changed;
}

/**
 * Puts the originals back into a streamed answer in the caller's dialect. A placeholder may arrive
 * split across events (`[EMA` then `IL_1]`): when an event's text ends with what could be the start
 * of one, that event is held back (not the text alone, so no event is made up and none repeated)
 * until the next piece of the same text shows whether it was; any other event first releases what
 * is held, as it is. The events come as the tap wrote them; a trailing part of an event is kept until
 * its end arrives.
 */
export class StreamRestorer {
  private pending = '';
  private readonly held = new Map<string, { event: ParsedEvent; slot: DeltaSlot; before: string; partial: string }>();

  constructor(
    private readonly dialect: string,
    private readonly redaction: Redaction,
  ) {}

  pass(out: string): string {
    const all = this.pending + out;
    const boundary = /\r?\n\r?\n/g;
    let result = '';
    let at = 0;
    for (let m = boundary.exec(all); m; m = boundary.exec(all)) {
      result += this.event(all.slice(at, m.index), m[0]);
      at = m.index + m[0].length;
    }
    this.pending = all.slice(at);
    return result;
  }

  /** What is left at the end of the stream: held events released, an unfinished event as it is. */
  end(): string {
    const out = this.release() + this.pending;
    this.pending = '';
    return out;
  }

  private event(text: string, sep: string): string {
    const parsed = parse(text, sep);
    if (!parsed) return this.release() + text + sep;
    const slots = deltas(this.dialect, parsed.json);
    if (slots.length === 0) {
      const changed = restoreAll(parsed.json, this.redaction);
      return this.release() + (changed ? render(parsed) : text + sep);
    }
    let out = '';
    let hold: { slot: DeltaSlot; before: string; partial: string } | null = null;
    for (const slot of slots) {
      let piece = slot.get();
      const prior = this.held.get(slot.key);
      if (prior) {
        // The held event goes out with the text before the possible placeholder; the rest joins this piece.
        this.held.delete(slot.key);
        prior.slot.set(this.redaction.restore(prior.before));
        out += render(prior.event);
        piece = prior.partial + piece;
      }
      const keep = slot.final || slots.length > 1 ? 0 : this.redaction.partialAt(piece);
      if (keep > 0) hold = { slot, before: piece.slice(0, piece.length - keep), partial: piece.slice(piece.length - keep) };
      else slot.set(this.redaction.restore(piece));
    }
    if (hold) {
      this.held.set(hold.slot.key, { event: parsed, ...hold });
      return out;
    }
    return out + render(parsed);
  }

  /** Held events, released as they are (the next event showed their text was not a placeholder's start). */
  private release(): string {
    let out = '';
    for (const h of this.held.values()) {
      h.slot.set(this.redaction.restore(h.before + h.partial));
      out += render(h.event);
    }
    this.held.clear();
    return out;
  }
}

function parse(text: string, sep: string): ParsedEvent | null {
  const lines = text.split(/\r?\n/);
  const dataLine = lines.findIndex((l) => l.startsWith('data:'));
  if (dataLine === -1) return null;
  const data = lines[dataLine].slice(5).trim();
  if (!data.startsWith('{')) return null;
  try {
    const json = JSON.parse(data) as unknown;
    return isObj(json) ? { lines, dataLine, json, sep } : null;
  } catch {
    return null;
  }
}

function render(e: ParsedEvent): string {
  const lines = e.lines.slice();
  lines[e.dataLine] = `data: ${JSON.stringify(e.json)}`;
  return lines.join(e.sep.startsWith('\r') ? '\r\n' : '\n') + e.sep;
}

/** A whole JSON answer with every placeholder restored; null when nothing changed or it is not JSON. */
export function restoreJson(text: string, r: Redaction): string | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  return restoreAll(json, r) ? JSON.stringify(json) : null;
}
