// Controls: instance defaults, overridden per request by x-sim-* headers and by a
// `[[sim ...]]` directive in the last user message. The directive exists because a gateway
// does not forward custom headers, but it does forward the prompt.
import type { IncomingHttpHeaders } from 'node:http';
import type { SimControls, SimFault } from './types.js';

export const BASE_CONTROLS: SimControls = {
  ttftMs: 0,
  chunkDelayMs: 0,
  chunks: 8,
  reply: null,
  fault: null,
  faultRate: 1,
  noUsage: false,
  splitBytes: 0,
  tool: null,
  toolArgs: null,
};

/** Parses `status:429`, `status:503:retry-after=2`, `drop:3`, `cut:3`, `stall:3`, `hang`, `malformed`. */
export function parseFault(spec: string): SimFault | null {
  const s = spec.trim();
  if (!s || s === 'none') return null;
  const parts = s.split(':');
  switch (parts[0]) {
    case 'status': {
      const status = Number(parts[1]);
      if (!Number.isInteger(status) || status < 100 || status > 599) return null;
      const fault: SimFault = { kind: 'status', status };
      for (const extra of parts.slice(2)) {
        const m = /^retry-after=(\d+(?:\.\d+)?)$/.exec(extra);
        if (m) fault.retryAfter = Number(m[1]);
      }
      return fault;
    }
    case 'drop':
      return { kind: 'drop', afterChunks: Math.max(0, Number(parts[1] ?? 0) || 0) };
    case 'cut':
    case 'stall':
      return { kind: parts[0], afterPieces: Math.max(0, Math.floor(Number(parts[1] ?? 0)) || 0) };
    case 'hang':
      return { kind: 'hang' };
    case 'malformed':
      return { kind: 'malformed' };
    default:
      return null;
  }
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Overrides carried by x-sim-* request headers. */
export function controlsFromHeaders(h: IncomingHttpHeaders): Partial<SimControls> {
  const out: Partial<SimControls> = {};
  const one = (name: string): string | undefined => {
    const v = h[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ttft = num(one('x-sim-ttft-ms'));
  if (ttft !== undefined) out.ttftMs = ttft;
  const delay = num(one('x-sim-chunk-delay-ms'));
  if (delay !== undefined) out.chunkDelayMs = delay;
  const chunks = num(one('x-sim-chunks'));
  if (chunks !== undefined) out.chunks = Math.max(1, Math.floor(chunks));
  const reply = one('x-sim-reply');
  if (reply !== undefined) out.reply = decodeHeaderText(reply);
  const split = num(one('x-sim-split-bytes'));
  if (split !== undefined) out.splitBytes = Math.floor(split);
  const noUsage = one('x-sim-no-usage');
  if (noUsage !== undefined) out.noUsage = noUsage !== '0' && noUsage !== 'false';
  const fault = one('x-sim-fault');
  if (fault !== undefined) out.fault = parseFault(fault);
  const tool = one('x-sim-tool');
  if (tool !== undefined) out.tool = tool || null;
  const toolArgs = one('x-sim-tool-args');
  if (toolArgs !== undefined) out.toolArgs = decodeHeaderText(toolArgs);
  return out;
}

// Header values are latin1 on the wire; a client that wants non-ASCII sends it percent-encoded.
function decodeHeaderText(v: string): string {
  if (!v.includes('%')) return v;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Matches one directive; the quoted reply may contain `]` and escaped quotes. */
const DIRECTIVE_RE = /\[\[sim(?:\s(?:[^\]"]|"(?:[^"\\]|\\.)*")*)?\]\]/g;
const TOKEN_RE = /([a-z-]+)(?:=("(?:[^"\\]|\\.)*"|\S+))?/g;

/** Removes every directive from a piece of text (so it is neither counted nor echoed). */
export function stripDirective(text: string): string {
  if (!text.includes('[[sim')) return text;
  return text.replace(DIRECTIVE_RE, '').replace(/^\s+|\s+$/g, '');
}

/** Reads the (last) directive in a text; null when there is none. */
export function parseDirective(text: string): Partial<SimControls> | null {
  if (!text.includes('[[sim')) return null;
  const all = text.match(DIRECTIVE_RE);
  if (!all) return null;
  const inner = all[all.length - 1].slice(5, -2);
  const out: Partial<SimControls> = {};
  for (const m of inner.matchAll(TOKEN_RE)) {
    const key = m[1];
    let value = m[2];
    if (value !== undefined && value.startsWith('"')) {
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    switch (key) {
      case 'fault':
        if (value !== undefined) out.fault = parseFault(value);
        break;
      case 'ttft':
      case 'ttft-ms': {
        const n = num(value);
        if (n !== undefined) out.ttftMs = n;
        break;
      }
      case 'delay':
      case 'chunk-delay': {
        const n = num(value);
        if (n !== undefined) out.chunkDelayMs = n;
        break;
      }
      case 'chunks': {
        const n = num(value);
        if (n !== undefined) out.chunks = Math.max(1, Math.floor(n));
        break;
      }
      case 'reply':
        if (value !== undefined) out.reply = value;
        break;
      case 'split': {
        const n = num(value);
        if (n !== undefined) out.splitBytes = Math.floor(n);
        break;
      }
      case 'no-usage':
        out.noUsage = value === undefined ? true : value !== '0' && value !== 'false';
        break;
      case 'tool':
        if (value) out.tool = value;
        break;
      case 'args':
        if (value !== undefined) out.toolArgs = value;
        break;
      default:
        break; // unknown keys are ignored so old simulators tolerate new directives
    }
  }
  return out;
}

/** Validates a JSON body for POST /_sim/controls; unknown keys are dropped. */
export function sanitizeControls(input: unknown): Partial<SimControls> {
  const out: Partial<SimControls> = {};
  if (!input || typeof input !== 'object') return out;
  const o = input as Record<string, unknown>;
  if (typeof o.ttftMs === 'number' && o.ttftMs >= 0) out.ttftMs = o.ttftMs;
  if (typeof o.faultRate === 'number' && o.faultRate >= 0 && o.faultRate <= 1) out.faultRate = o.faultRate;
  if (typeof o.chunkDelayMs === 'number' && o.chunkDelayMs >= 0) out.chunkDelayMs = o.chunkDelayMs;
  if (typeof o.chunks === 'number' && o.chunks >= 1) out.chunks = Math.floor(o.chunks);
  if (typeof o.reply === 'string' || o.reply === null) out.reply = o.reply;
  if (typeof o.noUsage === 'boolean') out.noUsage = o.noUsage;
  if (typeof o.splitBytes === 'number' && o.splitBytes >= 0) out.splitBytes = Math.floor(o.splitBytes);
  if (typeof o.tool === 'string' || o.tool === null) out.tool = o.tool || null;
  if (o.toolArgs === null) out.toolArgs = null;
  else if (typeof o.toolArgs === 'string') out.toolArgs = o.toolArgs;
  if (o.fault === null) out.fault = null;
  else if (typeof o.fault === 'string') out.fault = parseFault(o.fault);
  else if (o.fault && typeof o.fault === 'object') {
    const f = o.fault as Record<string, unknown>;
    if (f.kind === 'status' && typeof f.status === 'number') {
      out.fault = { kind: 'status', status: f.status, body: f.body, retryAfter: typeof f.retryAfter === 'number' ? f.retryAfter : undefined };
    } else if (f.kind === 'drop') out.fault = { kind: 'drop', afterChunks: typeof f.afterChunks === 'number' ? f.afterChunks : 0 };
    else if (f.kind === 'cut' || f.kind === 'stall') out.fault = { kind: f.kind, afterPieces: typeof f.afterPieces === 'number' && f.afterPieces >= 0 ? Math.floor(f.afterPieces) : 0 };
    else if (f.kind === 'hang') out.fault = { kind: 'hang' };
    else if (f.kind === 'malformed') out.fault = { kind: 'malformed' };
  }
  return out;
}
