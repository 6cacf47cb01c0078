import type { Operation } from '../core/calls.js';

/**
 * One piece of a call's text the content rules read: the text, and how to put a masked version
 * back in its place (in the request on its way upstream, or in the answer on its way back).
 */
export interface TextSlot {
  text: string;
  set(text: string): void;
}

/** The texts of a call in its dialect: what the caller wrote, and what an answer holds. */
export interface CallTexts {
  input(): TextSlot[];
  output(answer: unknown): TextSlot[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string field of an object as a slot (nothing when it is not a string). */
function field(o: unknown, key: string, into: TextSlot[]): void {
  if (isObj(o) && typeof o[key] === 'string') into.push({ text: o[key] as string, set: (t) => (o[key] = t) });
}

/** An array's string items as slots. */
function items(a: unknown, into: TextSlot[]): void {
  if (!Array.isArray(a)) return;
  a.forEach((v, i) => {
    if (typeof v === 'string') into.push({ text: v, set: (t) => (a[i] = t) });
  });
}

/** A content that is a string, or a list of parts whose text is in `text` (OpenAI, Anthropic and Responses parts alike). */
function content(holder: unknown, key: string, into: TextSlot[]): void {
  if (!isObj(holder)) return;
  const c = holder[key];
  if (typeof c === 'string') return field(holder, key, into);
  if (Array.isArray(c)) for (const part of c) field(part, 'text', into);
}

/** Gemini's `{parts: [{text}]}`. */
function parts(holder: unknown, into: TextSlot[]): void {
  if (isObj(holder) && Array.isArray(holder.parts)) for (const p of holder.parts) field(p, 'text', into);
}

/**
 * The texts of a text call, for the dialects the content rules read (chat, Responses, completions,
 * Anthropic, Gemini). Null for the rest (embeddings and token counts carry no answer to check, and
 * other dialects are not read yet). Tool definitions and tool results are left out: they are the
 * caller's program, not what a person wrote or reads.
 */
export function callTexts(dialect: string, operation: Operation, body: Json): CallTexts | null {
  if (operation !== 'chat' && operation !== 'completion') return null;
  switch (dialect) {
    case 'openai':
      return operation === 'completion'
        ? {
            input: () => collect((s) => (typeof body.prompt === 'string' ? field(body, 'prompt', s) : items(body.prompt, s))),
            output: (a) => collect((s) => eachOf(a, 'choices', (c) => field(c, 'text', s))),
          }
        : {
            input: () => collect((s) => eachOf(body, 'messages', (m) => content(m, 'content', s))),
            output: (a) => collect((s) => eachOf(a, 'choices', (c) => isObj(c) && content(c.message, 'content', s))),
          };
    case 'openai-responses':
      return {
        input: () =>
          collect((s) => {
            field(body, 'instructions', s);
            if (typeof body.input === 'string') field(body, 'input', s);
            else eachOf(body, 'input', (item) => content(item, 'content', s));
          }),
        output: (a) => collect((s) => eachOf(a, 'output', (item) => isObj(item) && item.type === 'message' && content(item, 'content', s))),
      };
    case 'anthropic':
      return {
        input: () =>
          collect((s) => {
            content(body, 'system', s);
            eachOf(body, 'messages', (m) => content(m, 'content', s));
          }),
        output: (a) => collect((s) => eachOf(a, 'content', (block) => isObj(block) && block.type === 'text' && field(block, 'text', s))),
      };
    case 'gemini':
      return {
        input: () =>
          collect((s) => {
            parts(body.systemInstruction ?? body.system_instruction, s);
            eachOf(body, 'contents', (c) => parts(c, s));
          }),
        output: (a) => collect((s) => eachOf(a, 'candidates', (c) => isObj(c) && parts(c.content, s))),
      };
    default:
      return null;
  }
}

function collect(fill: (into: TextSlot[]) => void): TextSlot[] {
  const into: TextSlot[] = [];
  fill(into);
  return into;
}

function eachOf(o: unknown, key: string, fn: (item: unknown) => unknown): void {
  if (isObj(o) && Array.isArray(o[key])) for (const item of o[key] as unknown[]) fn(item);
}
