/**
 * The items of the Responses API as the gateway keeps them for stored responses, and as it sends
 * them again when a call continues one (`previous_response_id`).
 *
 * Wire reference: https://platform.openai.com/docs/api-reference/responses/input-items (listed items
 * carry ids) and https://platform.openai.com/docs/guides/conversation-state.
 */
import { arr, mintId, obj, str } from '../canonical/util.js';

type Json = Record<string, unknown>;

/** Id prefixes OpenAI gives items of each type; other types get `item_`. */
const ID_PREFIX: Record<string, string> = {
  message: 'msg_',
  function_call: 'fc_',
  function_call_output: 'fco_',
  reasoning: 'rs_',
  custom_tool_call: 'ctc_',
  custom_tool_call_output: 'ctco_',
  compaction: 'cmp_',
};

/**
 * The caller's `input` as a list of items, as they are listed back by
 * `GET /v1/responses/{id}/input_items`: a bare string is one user message, a message without
 * `type` gets it, string contents become one text part, and every item has an id (the caller's,
 * or one minted here).
 */
export function inputItems(input: unknown): Json[] {
  const list: unknown[] = typeof input === 'string' ? [{ role: 'user', content: input }] : arr(input);
  return list.map((raw) => {
    const item = { ...(obj(raw) ?? {}) };
    if (item.type === undefined && typeof item.role === 'string') item.type = 'message';
    if (item.type === 'message' && typeof item.content === 'string') item.content = [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }];
    // An item reference is its id; every other item gets one of its own (first, as OpenAI lists them).
    if (item.type === 'item_reference' || typeof item.id === 'string') return item;
    return { id: mintId(ID_PREFIX[str(item.type) ?? ''] ?? 'item_'), ...item };
  });
}

/** The output items of a stored Response. */
export function outputItems(response: Json): Json[] {
  return arr(response.output).map((o) => obj(o) ?? {});
}

/**
 * The items of a stored conversation as they are sent again to a provider, which may not be the
 * one that made them. Ids are left out: an item id names the provider's own stored copy, which
 * another channel (or OpenAI itself when `store` was false) does not have — OpenAI answers 404
 * "Item not found" to ids it does not know, and takes the items without them as Codex sends them.
 * Reasoning items that carry no `encrypted_content` are only such a reference and are left out, as
 * are items the stream never finished (a broken-off response).
 */
export function replayItems(items: Json[]): Json[] {
  const out: Json[] = [];
  for (const item of items) {
    if (item.status === 'in_progress') continue;
    if (item.type === 'reasoning' && typeof item.encrypted_content !== 'string') continue;
    if (item.type === 'item_reference') {
      out.push(item);
      continue;
    }
    const { id: _id, ...rest } = item;
    out.push(rest);
  }
  return out;
}

/** The ids named by the `item_reference` items of an input. */
export function referencedIds(input: unknown): string[] {
  return arr(input)
    .map((i) => obj(i))
    .filter((i) => i?.type === 'item_reference' && typeof i.id === 'string')
    .map((i) => String(i!.id));
}

/**
 * The input with each item reference the gateway holds (an item of one of the caller's stored
 * responses) replaced by that item as it is sent again (`replayItems`: without its id, left out
 * when it is a reasoning item without content). A translated provider cannot follow a reference, and
 * would otherwise lose the turn it names (an earlier answer); references the gateway does not hold
 * stay as they are: OpenAI follows them into its own store, a translated call refuses them
 * (canonical.ts), as OpenAI does an unknown item.
 */
export function resolveReferences(input: unknown[], held: Map<string, Json>): unknown[] {
  if (!held.size) return input;
  return input.flatMap((raw) => {
    const item = obj(raw);
    const target = item?.type === 'item_reference' && typeof item.id === 'string' ? held.get(item.id) : undefined;
    return target ? replayItems([target]) : [raw];
  });
}

/** The caller's `input` as an item list for sending, whatever its form (a string is one user message). */
export function asItemList(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return arr(input);
}

/** The text of a message item's parts (input and output text; refusals). */
export function messageText(item: Json): string {
  if (typeof item.content === 'string') return item.content;
  return arr(item.content)
    .map((p) => {
      const part = obj(p) ?? {};
      return str(part.text) ?? str(part.refusal) ?? '';
    })
    .filter(Boolean)
    .join('\n');
}
