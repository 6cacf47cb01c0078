import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { encodeTraceRequest, type PbSpan } from './otlp-protobuf.js';

/**
 * A minimal OTLP/HTTP trace exporter: spans are queued, and sent in batches to the collector's
 * `/v1/traces` endpoint once a second or every 512 spans. Two encodings, as OTLP/HTTP has them
 * (opentelemetry.io/docs/specs/otlp/#otlphttp): binary protobuf (`http/protobuf`, the protocol's
 * default; `otlp-protobuf.ts`) or JSON (`http/json`: trace and span ids in hex, times as decimal
 * strings of nanoseconds).
 *
 * Why not the OpenTelemetry SDK: its current exporter, core and resources packages need Node 22,
 * the Node 20 line of them pulls the metrics and logs SDKs in too, and the gateway builds each span
 * from its own record of the call after the fact (no context manager, no instrumentation). What
 * the exporter has to do is the protocol's part: batch, post, give up on a collector that does not
 * answer, never hold the call path.
 */

export type AttrValue = string | number | boolean;

/** A span as the tracer hands it over: its attributes by name, unset ones left out of the export. */
export interface ExportSpan extends Omit<PbSpan, 'attributes'> {
  attributes: Record<string, AttrValue | undefined | null>;
}

export interface OtlpOptions {
  /** The traces endpoint, e.g. `http://collector:4318/v1/traces`. */
  url: string;
  /** Extra request headers (a collector's API key): `name=value` pairs, comma-separated, as OTEL_EXPORTER_OTLP_HEADERS. */
  headers?: Record<string, string>;
  /** The `service.name` resource attribute. */
  serviceName: string;
  /** `http/protobuf` (default) or `http/json`. */
  protocol?: 'http/protobuf' | 'http/json';
  /** Further resource attributes (`service.instance.id`, …). */
  resource?: Record<string, AttrValue>;
  /** Spans waiting at most; past it new ones are dropped (and counted). */
  maxQueue?: number;
  batchSize?: number;
  flushMs?: number;
  timeoutMs?: number;
}

interface Logger {
  warn(msg: string): void;
}

export class OtlpExporter {
  /** Spans dropped: the queue was full, or the collector refused or did not answer. */
  dropped = 0;
  /** Spans the collector accepted. */
  exported = 0;
  private queue: ExportSpan[] = [];
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<boolean> | null = null;
  private warnedAt = 0;
  private readonly resource: [string, AttrValue][];
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly opts: OtlpOptions,
    private readonly log?: Logger,
  ) {
    this.resource = entries({ 'service.name': opts.serviceName, 'telemetry.sdk.name': 'apigpt', 'telemetry.sdk.language': 'nodejs', ...opts.resource });
    this.maxQueue = opts.maxQueue ?? 4096;
    this.batchSize = opts.batchSize ?? 512;
    this.flushMs = opts.flushMs ?? 1_000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  export(span: ExportSpan): void {
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.batchSize) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Sends what is queued (one batch at a time); resolves when the queue is empty or the collector failed. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.sending) await this.sending;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.batchSize);
      this.sending = this.post(batch).finally(() => (this.sending = null));
      const ok = await this.sending;
      if (!ok) break;
    }
  }

  async close(): Promise<void> {
    await this.flush();
  }

  /** Posts one batch; false when it was lost (a collector that is down is not retried: traces are a sample, not a ledger). */
  private async post(batch: ExportSpan[]): Promise<boolean> {
    const json = this.opts.protocol === 'http/json';
    const body = json
      ? JSON.stringify({ resourceSpans: [{ resource: { attributes: this.resource.map(keyValue) }, scopeSpans: [{ scope: { name: SCOPE }, spans: batch.map(encodeSpan) }] }] })
      : encodeTraceRequest(this.resource, SCOPE, batch.map((s) => ({ ...s, attributes: entries(s.attributes) })));
    try {
      const status = await send(this.opts.url, body, json ? 'application/json' : 'application/x-protobuf', this.opts.headers ?? {}, this.timeoutMs);
      if (status >= 200 && status < 300) {
        this.exported += batch.length;
        return true;
      }
      throw new Error(`the collector answered ${status}`);
    } catch (err) {
      this.dropped += batch.length;
      const now = Date.now();
      if (now - this.warnedAt > 60_000) {
        this.warnedAt = now;
        this.log?.warn(`traces: ${batch.length} spans could not be sent to the OTLP endpoint (${(err as Error).message}); dropped`);
      }
      return false;
    }
  }
}

interface OtlpKeyValue {
  key: string;
  value: { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
}

/** The instrumentation scope every span is exported under. */
const SCOPE = 'apigpt.gateway';

/** The attributes that have a value (unset ones are left out of both encodings). */
function entries(attrs: Record<string, AttrValue | undefined | null>): [string, AttrValue][] {
  const out: [string, AttrValue][] = [];
  for (const key in attrs) {
    const v = attrs[key];
    if (v !== undefined && v !== null) out.push([key, v]);
  }
  return out;
}

/** An attribute in the JSON encoding: int64 as a decimal string, as OTLP/JSON writes it. */
function keyValue([key, v]: [string, AttrValue]): OtlpKeyValue {
  if (typeof v === 'string') return { key, value: { stringValue: v } };
  if (typeof v === 'boolean') return { key, value: { boolValue: v } };
  if (Number.isInteger(v)) return { key, value: { intValue: String(v) } };
  return { key, value: { doubleValue: v } };
}

function encodeSpan(s: ExportSpan) {
  return {
    traceId: s.traceId,
    spanId: s.spanId,
    ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
    name: s.name,
    kind: s.kind,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: entries(s.attributes).map(keyValue),
    status: s.status.message ? s.status : { code: s.status.code },
  };
}

function send(url: string, body: string | Buffer, contentType: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(
      u,
      { method: 'POST', headers: { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** `a=1,b=two` (OTEL_EXPORTER_OTLP_HEADERS' format, values URL-encoded) as a header map. */
export function parseOtlpHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    out[part.slice(0, i).trim().toLowerCase()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}
