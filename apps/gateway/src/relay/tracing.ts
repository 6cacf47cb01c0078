import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type { Operation } from '../core/calls.js';
import type { CallRequest } from './call.js';
import { OtlpExporter, type AttrValue, type ExportSpan, type OtlpOptions } from './otlp.js';
import type { RequestLogRow } from './request-log.js';
import type { Route } from './router.js';

/**
 * OpenTelemetry traces of relayed calls, with the GenAI semantic conventions
 * (opentelemetry.io/docs/specs/semconv/gen-ai/): one SERVER span per call (`chat gpt-4o`), and under
 * it one CLIENT span per upstream attempt (`chat gpt-4o-2024-08-06` on the channel that was tried),
 * whose W3C `traceparent` goes to the provider with the request. A caller's own `traceparent` makes
 * the call's span a child of the caller's.
 *
 * Off by default: without an OTLP endpoint the pipeline has no tracer and pays one `undefined` check
 * per call. With one, a span is a few small objects built from what the call's log row already holds
 * (model, channel, status, tokens), exported in batches off the call path.
 */

/** Our operation names as `gen_ai.operation.name` (the conventions' well-known values where one exists). */
const OPERATION_NAMES: Record<Operation, string> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
  image: 'image_generation',
  count_tokens: 'count_tokens',
  speech: 'speech',
  transcription: 'transcription',
  translation: 'translation',
  rerank: 'rerank',
  moderation: 'moderation',
};

/** Channel kinds as `gen_ai.provider.name` (the conventions' well-known values; the kind itself otherwise). */
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  azure: 'azure.ai.openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  deepseek: 'deepseek',
  cohere: 'cohere',
};

export interface TracingOptions extends Omit<OtlpOptions, 'resource'> {
  log?: { warn(msg: string): void };
  /** Calls traced per 100 among those without a caller's trace (default 100). */
  samplePercent?: number;
  random?: () => number;
}

/** What the pipeline holds while a call runs (null when tracing is off or the caller's trace is not sampled). */
export interface CallTrace {
  /** An upstream attempt on `route` begins (`at`: performance.now()). */
  attemptStarted(route: Route, at: number): void;
  /** The W3C `traceparent` for the current attempt's upstream request. */
  traceparent(): string;
  /** The current attempt ended: the provider's status (null: no answer) and the error code. */
  attemptEnded(status: number | null, code: string | null): void;
  /** The call ended, as its log row says. */
  end(log: RequestLogRow, req: CallRequest): void;
}

export class CallTracer {
  readonly exporter: OtlpExporter;
  private readonly sample: number;
  private readonly random: () => number;

  constructor(opts: TracingOptions) {
    this.exporter = new OtlpExporter({ ...opts, resource: { 'service.instance.id': `${hostname()}:${process.pid}` } }, opts.log);
    this.sample = (opts.samplePercent ?? 100) / 100;
    this.random = opts.random ?? Math.random;
  }

  /** A call begins (`started`: performance.now()); `incoming` carries the caller's `traceparent`, if any. */
  begin(incoming: IncomingMessage | undefined, started: number): CallTrace | null {
    const parent = parseTraceparent(incoming?.headers.traceparent);
    // The caller decided not to sample its trace: nothing is recorded for it.
    if (parent && !parent.sampled) return null;
    // Parent-based: a caller's sampled trace is always followed; the others are sampled at the configured share.
    if (!parent && this.sample < 1 && this.random() >= this.sample) return null;
    return new Trace(this.exporter, parent?.traceId ?? hex(16), parent?.spanId, started);
  }

  close(): Promise<void> {
    return this.exporter.close();
  }
}

interface AttemptSpan {
  spanId: string;
  route: Route;
  start: number;
  end: number;
  status: number | null;
  code: string | null;
}

class Trace implements CallTrace {
  private readonly spanId = hex(8);
  private readonly attempts: AttemptSpan[] = [];

  constructor(
    private readonly exporter: OtlpExporter,
    private readonly traceId: string,
    private readonly parentSpanId: string | undefined,
    private readonly started: number,
  ) {}

  attemptStarted(route: Route, at: number): void {
    this.attempts.push({ spanId: hex(8), route, start: at, end: at, status: null, code: null });
  }

  traceparent(): string {
    const a = this.attempts[this.attempts.length - 1];
    return `00-${this.traceId}-${a ? a.spanId : this.spanId}-01`;
  }

  attemptEnded(status: number | null, code: string | null): void {
    const a = this.attempts[this.attempts.length - 1];
    if (!a) return;
    a.end = performance.now();
    a.status = status;
    a.code = code;
  }

  end(log: RequestLogRow, req: CallRequest): void {
    const ended = performance.now();
    const op = OPERATION_NAMES[req.operation] ?? req.operation;
    const model = log.model_requested ?? req.model;
    const last = this.attempts[this.attempts.length - 1];
    const error = log.status >= 400 || log.status === 0 ? (log.error_code ?? String(log.status)) : null;
    const usage = tokens(log);
    this.exporter.export({
      traceId: this.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: model ? `${op} ${model}` : op,
      kind: 2,
      startTimeUnixNano: nanos(this.started),
      endTimeUnixNano: nanos(ended),
      attributes: {
        'gen_ai.operation.name': op,
        'gen_ai.request.model': model || null,
        'gen_ai.response.model': log.model_sent,
        // The provider that served (or was tried last); `gen_ai.system` is its name before semconv 1.37.
        'gen_ai.provider.name': last ? providerName(last.route) : null,
        'gen_ai.system': last ? providerName(last.route) : null,
        ...usage,
        'http.request.method': 'POST',
        'http.route': log.endpoint,
        'http.response.status_code': log.status || null,
        'error.type': error,
        'apigpt.request_id': log.id,
        'apigpt.client_request_id': log.client_request_id ?? null,
        'apigpt.dialect': log.dialect,
        'apigpt.stream': req.stream,
        'apigpt.channel_id': log.channel_id,
        'apigpt.attempts': this.attempts.length,
        'apigpt.cost_points': log.cost / 1_000_000,
        'apigpt.cache_hit': log.cache_hit === 1,
        'apigpt.ttft_ms': log.ttft_ms,
      },
      status: error ? { code: 2, message: log.error_message ?? undefined } : { code: 0 },
    });
    for (let i = 0; i < this.attempts.length; i++) {
      const a = this.attempts[i];
      const served = i === this.attempts.length - 1 && !error;
      const aError = a.status === null ? (a.code ?? 'no_answer') : a.status >= 400 ? (a.code ?? String(a.status)) : null;
      const address = serverOf(a.route);
      this.exporter.export({
        traceId: this.traceId,
        spanId: a.spanId,
        parentSpanId: this.spanId,
        name: `${op} ${a.route.upstreamModel}`,
        kind: 3,
        startTimeUnixNano: nanos(a.start),
        // A streamed answer's attempt lasts as long as the stream (its end is the call's).
        endTimeUnixNano: nanos(a.end > a.start ? a.end : ended),
        attributes: {
          'gen_ai.operation.name': op,
          'gen_ai.provider.name': providerName(a.route),
          'gen_ai.system': providerName(a.route),
          'gen_ai.request.model': a.route.upstreamModel,
          ...(served ? { ...usage, 'gen_ai.response.model': log.model_sent } : {}),
          'server.address': address?.host,
          'server.port': address?.port,
          'http.response.status_code': a.status,
          'error.type': aError,
          'apigpt.channel_id': a.route.channel.id,
          'apigpt.attempt': i + 1,
        },
        status: aError ? { code: 2 } : { code: 0 },
      });
    }
  }
}

function tokens(log: RequestLogRow): Record<string, AttrValue | null> {
  if (log.prompt_tokens === 0 && log.completion_tokens === 0) return {};
  return {
    'gen_ai.usage.input_tokens': log.prompt_tokens,
    'gen_ai.usage.output_tokens': log.completion_tokens,
    ...(log.cached_tokens ? { 'gen_ai.usage.cache_read.input_tokens': log.cached_tokens } : {}),
    ...(log.reasoning_tokens ? { 'gen_ai.usage.reasoning.output_tokens': log.reasoning_tokens } : {}),
  };
}

function providerName(route: Route): string {
  const kind = route.channel.provider;
  return PROVIDER_NAMES[kind] ?? kind;
}

function serverOf(route: Route): { host: string; port: number } | null {
  const base = route.channel.baseUrl ?? route.adapter.defaultBaseUrl;
  if (!base) return null;
  try {
    const u = new URL(base);
    return { host: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return null;
  }
}

/** performance.now() as epoch nanoseconds (µs precision; a double cannot hold more at this magnitude). */
function nanos(t: number): string {
  return `${Math.round((performance.timeOrigin + t) * 1000)}000`;
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C trace-context `traceparent` (www.w3.org/TR/trace-context/), or null when absent or malformed. */
export function parseTraceparent(v: string | string[] | undefined): { traceId: string; spanId: string; sampled: boolean } | null {
  if (typeof v !== 'string') return null;
  const m = TRACEPARENT.exec(v.trim().toLowerCase());
  if (!m || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return null;
  return { traceId: m[1], spanId: m[2], sampled: (parseInt(m[3], 16) & 1) === 1 };
}
