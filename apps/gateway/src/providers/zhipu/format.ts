import { openaiFormat } from '../../formats/openai/canonical.js';
import type { CanonicalRequest, WireFormat } from '../../formats/canonical/types.js';
import { unsupported } from '../../formats/canonical/util.js';

/**
 * Zhipu's chat is a near-copy of OpenAI's with well-known differences (§5.3), so it is OpenAI's
 * format with those corrected on the way out. Answers read as OpenAI's: `sensitive` and
 * `network_error` finish reasons are already understood there, and the usage Zhipu puts on its
 * finish chunk is read wherever it appears.
 */
export const zhipuFormat: WireFormat = {
  ...openaiFormat,
  name: 'Zhipu',
  renderRequest(req: CanonicalRequest, upstreamModel: string) {
    const body = openaiFormat.renderRequest(req, upstreamModel);
    if (req.kind === 'embedding') {
      delete body.encoding_format; // always floats; the gateway encodes base64 itself
      return body;
    }
    if (req.n !== undefined && req.n > 1) throw unsupported('Zhipu models return one answer per request; `n` greater than 1 is not supported for this model.', 'n');
    delete body.stream_options; // Zhipu reports usage on its finish chunk unasked
    delete body.presence_penalty;
    delete body.frequency_penalty;
    delete body.n;
    // Zhipu wants both in the open interval (0, 1); temperature 0 means greedy decoding.
    if (typeof body.temperature === 'number') {
      if (body.temperature <= 0) body.do_sample = false;
      body.temperature = clampOpen(body.temperature);
    }
    if (typeof body.top_p === 'number') body.top_p = clampOpen(body.top_p);
    if (typeof body.user === 'string') {
      body.user_id = body.user;
      delete body.user;
    }
    // GLM's reasoning control is on or off (`thinking.type`, GLM-4.5 and later), not an effort.
    if (typeof body.reasoning_effort === 'string') {
      body.thinking = { type: body.reasoning_effort === 'none' ? 'disabled' : 'enabled' };
      delete body.reasoning_effort;
    }
    // The GLM-4V family takes images as bare base64, without the data-URL prefix.
    for (const m of body.messages as { content?: unknown }[]) {
      if (!Array.isArray(m.content)) continue;
      for (const p of m.content as { type?: string; image_url?: { url: string } }[]) {
        if (p.type === 'image_url' && p.image_url) p.image_url = { url: p.image_url.url.replace(/^data:[^,]*;base64,/, '') };
      }
    }
    return body;
  },
};

function clampOpen(v: number): number {
  return Math.min(0.99, Math.max(0.01, v));
}
