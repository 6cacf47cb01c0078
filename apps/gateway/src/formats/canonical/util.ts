import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../core/errors.js';
import { countTokens, type PromptTokens } from '../tokens.js';
import type { Usage } from '../../core/calls.js';
import type { CanonicalChatRequest, CanonicalPart, CanonicalRequest } from './types.js';

export function mintId(prefix: string): string {
  return prefix + randomBytes(12).toString('base64url');
}

/** `data:<mime>;base64,<data>` → its parts; null for any other URL. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const m = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1], data: m[2] } : null;
}

export function imageUrlOf(part: Extract<CanonicalPart, { type: 'image' }>): string {
  return part.source.kind === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
}

/**
 * Tool arguments as an object for formats that carry objects (Anthropic, Gemini). Model output may
 * be invalid JSON; such arguments travel as `{}` rather than failing the whole call.
 */
export function argumentsObject(args: string): Record<string, unknown> {
  if (!args) return {};
  try {
    const v: unknown = JSON.parse(args);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
  } catch {
    return {};
  }
}

export function textOfParts(parts: CanonicalPart[]): string {
  return parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
}

/** `reasoning`: the part of `completion` spent reasoning, when the provider reports it. */
export function usageFrom(prompt: number, completion: number, cached = 0, reasoning?: number): Usage {
  const u: Usage = { promptTokens: prompt, completionTokens: completion, cachedTokens: cached, estimated: false };
  if (reasoning !== undefined) u.reasoningTokens = reasoning;
  return u;
}

/** When the provider reported nothing, the gateway counts what it produced. */
export function estimatedUsage(promptTokens: PromptTokens, produced: string): Usage {
  return { promptTokens: promptTokens(), completionTokens: countTokens(produced), cachedTokens: 0, estimated: true };
}

export function unsupported(message: string, param?: string): GatewayError {
  return new GatewayError('invalid_request', message, { param: param ?? null, code: 'unsupported_parameter' });
}

export function asChat(req: CanonicalRequest, format: string): CanonicalChatRequest {
  if (req.kind !== 'chat') throw unsupported(`${format} cannot serve this kind of request.`);
  return req;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Little-endian float32 base64, as OpenAI's `encoding_format: "base64"` (Node is little-endian). */
export function vectorToBase64(v: number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString('base64');
}

export function base64ToVector(b64: string): number[] {
  const buf = Buffer.from(b64, 'base64');
  const out = new Array<number>(buf.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/** Text the model produced, for counting when no usage came back. */
export function producedText(choices: { text: string; reasoning?: string; toolCalls: { name: string; arguments: string }[] }[]): string {
  return choices.map((c) => (c.reasoning ?? '') + c.text + c.toolCalls.map((t) => t.arguments).join('')).join('');
}
