/**
 * OTLP's binary encoding of a trace export (`application/x-protobuf`, the protocol's default): the
 * ExportTraceServiceRequest of opentelemetry-proto (github.com/open-telemetry/opentelemetry-proto,
 * `collector/trace/v1/trace_service.proto`, `trace/v1/trace.proto`, `common/v1/common.proto`,
 * `resource/v1/resource.proto`), written by hand for the fields the gateway sets. The wire format is
 * protobuf's (protobuf.dev/programming-guides/encoding): each field a tag (number << 3 | wire type),
 * then a varint, 8 little-endian bytes, or a length and the bytes of a string or nested message.
 */

/** A protobuf message being written: fields in the order they are added. */
class Message {
  private readonly parts: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): void {
    this.parts.push(b);
    this.size += b.length;
  }

  private tag(field: number, wireType: 0 | 1 | 2): void {
    this.push(varint(BigInt((field << 3) | wireType)));
  }

  /** Wire type 0: int32/int64/uint32/bool/enum. Negative int64s take ten bytes (two's complement). */
  varint(field: number, v: bigint | number | boolean): this {
    const n = typeof v === 'boolean' ? (v ? 1n : 0n) : BigInt.asUintN(64, BigInt(v));
    this.tag(field, 0);
    this.push(varint(n));
    return this;
  }

  /** Wire type 1: fixed64 (from a decimal string, beyond a double's precision) or a double. */
  fixed64(field: number, decimal: string): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(decimal)));
    this.tag(field, 1);
    this.push(b);
    return this;
  }

  double(field: number, v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.tag(field, 1);
    this.push(b);
    return this;
  }

  /** Wire type 2: a string, bytes, or a nested message. */
  bytes(field: number, b: Buffer): this {
    this.tag(field, 2);
    this.push(varint(BigInt(b.length)));
    this.push(b);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, Buffer.from(s, 'utf8'));
  }

  message(field: number, m: Message): this {
    return this.bytes(field, m.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts, this.size);
  }
}

function varint(n: bigint): Buffer {
  const out: number[] = [];
  while (n > 0x7fn) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return Buffer.from(out);
}

export type PbAttr = string | number | boolean;

/** KeyValue { key = 1; AnyValue value = 2 }, AnyValue { string 1, bool 2, int64 3, double 4 }. */
function keyValue(key: string, v: PbAttr): Message {
  const value = new Message();
  if (typeof v === 'string') value.string(1, v);
  else if (typeof v === 'boolean') value.varint(2, v);
  else if (Number.isInteger(v)) value.varint(3, v);
  else value.double(4, v);
  return new Message().string(1, key).message(2, value);
}

/** A span as both encodings take it. */
export interface PbSpan {
  /** Hex, as the JSON encoding writes them; bytes in protobuf. */
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client. */
  kind: 1 | 2 | 3;
  /** Epoch nanoseconds, as decimal strings (beyond a double's precision). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: [string, PbAttr][];
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: 0 | 1 | 2; message?: string };
}

/**
 * ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 } with one ResourceSpans
 * (Resource resource = 1 { repeated KeyValue attributes = 1 }; repeated ScopeSpans scope_spans = 2)
 * holding one ScopeSpans (InstrumentationScope scope = 1 { name = 1 }; repeated Span spans = 2).
 */
export function encodeTraceRequest(resource: [string, PbAttr][], scopeName: string, spans: PbSpan[]): Buffer {
  const res = new Message();
  for (const [k, v] of resource) res.message(1, keyValue(k, v));
  const scopeSpans = new Message().message(1, new Message().string(1, scopeName));
  for (const s of spans) scopeSpans.message(2, span(s));
  const resourceSpans = new Message().message(1, res).message(2, scopeSpans);
  return new Message().message(1, resourceSpans).finish();
}

/**
 * Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5;
 * SpanKind kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
 * repeated KeyValue attributes = 9; Status status = 15 { string message = 2; StatusCode code = 3 } }.
 */
function span(s: PbSpan): Message {
  const m = new Message().bytes(1, Buffer.from(s.traceId, 'hex')).bytes(2, Buffer.from(s.spanId, 'hex'));
  if (s.parentSpanId) m.bytes(4, Buffer.from(s.parentSpanId, 'hex'));
  m.string(5, s.name).varint(6, s.kind).fixed64(7, s.startTimeUnixNano).fixed64(8, s.endTimeUnixNano);
  for (const [k, v] of s.attributes) m.message(9, keyValue(k, v));
  const status = new Message();
  if (s.status.message) status.string(2, s.status.message);
  if (s.status.code) status.varint(3, s.status.code);
  return m.message(15, status);
}
