/**
 * `POST /v1/responses/compact` served by any model: the model writes a summary of the conversation,
 * and the answer is the compacted history a client puts in place of the old one — the user's own
 * messages (the most recent ones, within a budget) followed by the summary as a user message.
 * OpenAI answers with an opaque `compaction` item only its own models can read; a plain message
 * works with every provider and every client, Codex included (it replaces its history with
 * `output` as it is). Wire reference: https://platform.openai.com/docs/api-reference/responses/compact.
 */
import { arr, obj, str } from '../canonical/util.js';
import { EXACT_COUNT, type TokenCount } from '../tokens.js';
import { messageText } from './items.js';

type Json = Record<string, unknown>;

/** What the model is asked, after the conversation. */
export const COMPACT_INSTRUCTION = [
  'Stop here and write a handoff summary of this conversation, for the assistant who will continue it with only your summary and the user\'s messages.',
  'Cover: the task and the user\'s goals; what was done so far and what came of it (files, commands, tool results, errors); the decisions made and why;',
  'what is still to do and the next step; any constraints or preferences the user stated. Keep names, paths, identifiers and numbers exact.',
  'Answer with the summary only.',
].join(' ');

/** How the summary is introduced to the model that continues (and how a later compaction recognises one). */
export const SUMMARY_PREFIX = 'The conversation before this point was compacted. Summary of it, written by the assistant that worked on it:';

/** The user's own messages kept beside the summary, newest first, up to this many tokens. */
const KEPT_USER_TOKENS = 20_000;

/** Request fields of the compact call that go on to the summarising call. */
const CARRIED = ['reasoning', 'prompt_cache_key', 'prompt_cache_retention', 'service_tier', 'safety_identifier', 'user'] as const;

/**
 * The summarising call: the conversation as plain turns (tool calls and their results as text, so
 * no provider needs the tools declared, and no provider's opaque items travel to another), then the
 * request for the summary. Reasoning items and other opaque state are left out.
 */
export function summaryRequest(body: Json, history: Json[]): Json {
  const input: Json[] = [];
  const say = (role: string, text: string) => {
    if (text) input.push({ type: 'message', role, content: text });
  };
  for (const item of history) {
    const type = item.type ?? (typeof item.role === 'string' ? 'message' : undefined);
    if (type === 'message') say(typeof item.role === 'string' ? item.role : 'user', messageText(item));
    else if (type === 'function_call' || type === 'custom_tool_call') {
      const name = [str(item.namespace), str(item.name)].filter(Boolean).join('.');
      say('assistant', `[Called the tool ${name} (call ${str(item.call_id) ?? '?'}) with: ${str(item.arguments) ?? str(item.input) ?? ''}]`);
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') say('user', `[Result of call ${str(item.call_id) ?? '?'}: ${outputText(item.output)}]`);
    else if (type === 'local_shell_call') say('assistant', `[Ran in the shell (call ${str(item.call_id) ?? '?'}): ${JSON.stringify(obj(item.action)?.command ?? item.action ?? '')}]`);
    else if (type === 'local_shell_call_output') say('user', `[Shell output of call ${str(item.call_id) ?? '?'}: ${outputText(item.output)}]`);
  }
  say('user', COMPACT_INSTRUCTION);
  const out: Json = { model: body.model, input, store: false, stream: false };
  if (typeof body.instructions === 'string' && body.instructions) out.instructions = body.instructions;
  for (const k of CARRIED) if (body[k] !== undefined && body[k] !== null) out[k] = body[k];
  return out;
}

/** The summary the model wrote: the text of the answer's message items. */
export function summaryOf(response: Json): string {
  return arr(response.output)
    .map((o) => obj(o) ?? {})
    .filter((o) => o.type === 'message')
    .map(messageText)
    .join('\n')
    .trim();
}

/**
 * The compacted history: the user's messages (the latest ones within the budget, earlier
 * summaries left out since the new one covers them), then the summary as a user message.
 */
export function compactedOutput(history: Json[], summary: string, count: TokenCount = EXACT_COUNT): Json[] {
  const users = history
    .filter((i) => (i.type ?? (typeof i.role === 'string' ? 'message' : undefined)) === 'message' && i.role === 'user')
    .map(messageText)
    .filter((t) => t && !t.startsWith(SUMMARY_PREFIX));
  const kept: string[] = [];
  let budget = KEPT_USER_TOKENS;
  for (let i = users.length - 1; i >= 0; i--) {
    const n = count.text(users[i]);
    if (n > budget) break;
    kept.unshift(users[i]);
    budget -= n;
  }
  const text = (t: string): Json => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text: t }] });
  return [...kept.map(text), text(`${SUMMARY_PREFIX}\n${summary || '(The model wrote no summary.)'}`)];
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  return arr(output)
    .map((p) => str(obj(p)?.text) ?? '')
    .join('');
}
