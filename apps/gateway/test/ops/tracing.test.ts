import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator } from '@apigpt/simulator';
import { startTestGateway, type TestGateway } from '../harness.js';
import { eventually } from '../eventually.js';
import { parseProm } from './prom-text.js';
import { createLogger } from '../../src/core/logger.js';
import { GatewayError } from '../../src/core/errors.js';
import { toErrorResponse } from '../../src/http/errors.js';

/**
 * Request ids and OpenTelemetry traces (issue 19): every answer of a relayed call names it in
 * `x-request-id` (errors too) and the provider gets the same id; with an OTLP endpoint set, each call
 * is a SERVER span with the GenAI semantic conventions and each upstream attempt a CLIENT span under
 * it, whose `traceparent` the provider receives. The collector is a plain HTTP server this test
 * starts, reading OTLP/HTTP as a collector would: binary protobuf (decoded with opentelemetry-proto's
 * messages, test/fixtures/otlp-trace.proto) and JSON.
 */
const MODEL = 'gpt-4o-mini';
const SIM_KEY = 'sk-sim-tracing';
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attrs: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
}

/** ExportTraceServiceRequest as opentelemetry-proto defines it (the fixture copies its field numbers). */
const ExportTraceServiceRequest = protobuf.loadSync(fileURLToPath(new URL('../fixtures/otlp-trace.proto', import.meta.url))).lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');

/**
 * A binary export read as a collector reads it, then written out in OTLP/JSON's shape (camelCase
 * fields, ids in hex, 64-bit integers as decimal strings, enums as numbers), so both encodings are
 * checked by the same assertions.
 */
function protobufAsJson(body: Buffer): unknown {
  const msg = ExportTraceServiceRequest.decode(body);
  const obj = ExportTraceServiceRequest.toObject(msg, { longs: String, enums: Number, bytes: Array });
  const hex = (k: string, v: unknown) => (['traceId', 'spanId', 'parentSpanId'].includes(k) && Array.isArray(v) ? Buffer.from(v as number[]).toString('hex') : v);
  const doc = JSON.parse(JSON.stringify(obj, hex)) as { resourceSpans: { scopeSpans: { spans: { status?: { code?: number } }[] }[] }[] };
  // proto3 leaves a field at its default out of the wire: a status without a code is UNSET (0).
  for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) s.status = { code: 0, ...s.status };
  return doc;
}

/** An OTLP/HTTP receiver (binary protobuf and JSON): keeps every span it is sent, with its attributes read back into values. */
async function startCollector(): Promise<{ url: string; spans: Span[]; resources: Record<string, unknown>[]; requests: { path: string; headers: Record<string, unknown> }[]; close(): Promise<void> }> {
  const spans: Span[] = [];
  const resources: Record<string, unknown>[] = [];
  const requests: { path: string; headers: Record<string, unknown> }[] = [];
  const value = (v: Record<string, unknown>) => ('stringValue' in v ? v.stringValue : 'intValue' in v ? Number(v.intValue) : 'doubleValue' in v ? v.doubleValue : v.boolValue) as string | number | boolean;
  const attrs = (list: { key: string; value: Record<string, unknown> }[] = []) => Object.fromEntries(list.map((a) => [a.key, value(a.value)]));
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers });
      const type = String(req.headers['content-type']);
      const json = type.includes('application/json');
      if (req.url !== '/v1/traces' || !(json || type === 'application/x-protobuf')) {
        res.writeHead(415).end();
        return;
      }
      const body = Buffer.concat(chunks);
      const doc = (json ? JSON.parse(body.toString('utf8')) : protobufAsJson(body)) as { resourceSpans: { resource: { attributes: never[] }; scopeSpans: { spans: (Omit<Span, 'attrs'> & { attributes: never[] })[] }[] }[] };
      for (const rs of doc.resourceSpans) {
        resources.push(attrs(rs.resource.attributes));
        for (const ss of rs.scopeSpans) for (const { attributes, ...s } of ss.spans) spans.push({ ...s, attrs: attrs(attributes) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, resources, requests, close: () => new Promise((r) => server.close(() => r())) };
}

const chat = (t: TestGateway, key: string, extra: object = {}, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: MODEL, max_tokens: 30, messages: [{ role: 'user', content: 'Hello there' }], ...extra }),
  });

describe('request ids', () => {
  it('every answer of a call carries its log row id in x-request-id — errors too, and refusals before the pipeline an id of their own — and the provider receives the same id; without an endpoint nothing is traced', async () => {
    const t = await startTestGateway({ config: { healthProbeIntervalMs: 0 } });
    open.push(t);
    expect((t.gw.services.pipeline as unknown as { deps: { tracer?: unknown } }).deps.tracer).toBeUndefined();
    const user = await t.newUserWithKey();

    const ok = await chat(t, user.key);
    expect(ok.status).toBe(200);
    const id = ok.headers.get('x-request-id')!;
    expect(id).toMatch(/^req_/);
    expect(t.sim.requests.at(-1)!.headers['x-request-id']).toBe(id);
    expect(t.sim.requests.at(-1)!.headers.traceparent).toBeUndefined();

    const streamed = await chat(t, user.key, { stream: true });
    const sid = streamed.headers.get('x-request-id')!;
    expect(await streamed.text()).toContain('[DONE]');
    expect(t.sim.requests.at(-1)!.headers['x-request-id']).toBe(sid);

    // A call the pipeline refuses (no channel serves the model) is named as well.
    const refused = await chat(t, user.key, { model: 'no-such-model' });
    expect(refused.status).toBe(404);
    const rid = refused.headers.get('x-request-id')!;
    expect(rid).toMatch(/^req_/);

    // Refused before the pipeline: a wrong key (OpenAI's dialect), a malformed body, and a wrong key
    // in Anthropic's dialect: each answer is named too, each with an id of its own (no log row).
    const badKey = await chat(t, 'sk-not-a-key');
    expect(badKey.status).toBe(401);
    const badJson = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' }, body: '{"model":' });
    expect(badJson.status).toBe(400);
    const claude = await fetch(`${t.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'sk-not-a-key', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(claude.status).toBe(401);
    expect((await claude.json()).type).toBe('error');
    const early = [badKey, badJson, claude].map((r) => r.headers.get('x-request-id'));
    for (const e of early) expect(e).toMatch(/^req_[0-9a-z]+$/);
    // A management answer is not a call: it names none.
    expect((await fetch(`${t.url}/api/apps`)).headers.get('x-request-id')).toBeNull();

    await t.flushLogs();
    const rows = await t.gw.services.db.selectFrom('request_logs').select(['id', 'status']).orderBy('created_at').execute();
    expect(rows).toEqual([
      { id, status: 200 },
      { id: sid, status: 200 },
      { id: rid, status: 404 },
    ]);
    expect(new Set([id, sid, rid, ...early]).size).toBe(6);
  });
});

describe("the caller's own request id", () => {
  it('X-Client-Request-Id (or a caller\'s X-Request-Id) comes back beside the gateway\'s id, reaches the provider, is kept on the log row and finds the call in the logs; one that is not printable ASCII up to 512 characters is ignored', async () => {
    const t = await startTestGateway({ config: { healthProbeIntervalMs: 0 } });
    open.push(t);
    const user = await t.newUserWithKey();
    const other = await t.newUserWithKey();

    const named = await chat(t, user.key, {}, { 'x-client-request-id': 'order-4711/try-1' });
    expect(named.status).toBe(200);
    const id = named.headers.get('x-request-id')!;
    expect(id).toMatch(/^req_/);
    expect(named.headers.get('x-client-request-id')).toBe('order-4711/try-1');
    expect(t.sim.requests.at(-1)!.headers['x-request-id']).toBe(id);
    expect(t.sim.requests.at(-1)!.headers['x-client-request-id']).toBe('order-4711/try-1');

    // A proxy's or client's X-Request-Id is the caller's id too; the answer's x-request-id stays the gateway's.
    const streamed = await chat(t, user.key, { stream: true }, { 'x-request-id': 'edge-9f3c' });
    expect(await streamed.text()).toContain('[DONE]');
    const sid = streamed.headers.get('x-request-id')!;
    expect(sid).toMatch(/^req_/);
    expect(streamed.headers.get('x-client-request-id')).toBe('edge-9f3c');
    expect(t.sim.requests.at(-1)!.headers['x-client-request-id']).toBe('edge-9f3c');

    // Refused by the pipeline (no channel serves the model): still named both ways.
    const refused = await chat(t, user.key, { model: 'no-such-model' }, { 'x-client-request-id': 'order-4711/try-2' });
    expect(refused.status).toBe(404);
    expect(refused.headers.get('x-client-request-id')).toBe('order-4711/try-2');

    // Too long, or not ASCII: served, and no caller id anywhere.
    const tooLong = await chat(t, user.key, {}, { 'x-client-request-id': 'x'.repeat(513) });
    expect(tooLong.status).toBe(200);
    expect(tooLong.headers.get('x-client-request-id')).toBeNull();
    expect(t.sim.requests.at(-1)!.headers['x-client-request-id']).toBeUndefined();
    const longest = await chat(t, user.key, {}, { 'x-client-request-id': 'y'.repeat(512) });
    expect(longest.headers.get('x-client-request-id')).toBe('y'.repeat(512));
    const unicode = await chat(t, user.key, {}, { 'x-client-request-id': 'caf\u00e9' });
    expect(unicode.status).toBe(200);
    expect(unicode.headers.get('x-client-request-id')).toBeNull();

    await t.flushLogs();
    const rows = await t.gw.services.db.selectFrom('request_logs').select(['id', 'client_request_id']).orderBy('created_at').execute();
    expect(rows.map((r) => r.client_request_id)).toEqual(['order-4711/try-1', 'edge-9f3c', 'order-4711/try-2', null, 'y'.repeat(512), null]);

    // The logs API finds a call by the caller's id, the caller's own calls only.
    type Logs = { items: { id: string; client_request_id: string | null }[]; total: number };
    const found = await t.api<Logs>('GET', '/api/logs?clientRequestId=order-4711%2Ftry-1', undefined, { cookie: user.cookie });
    expect(found.status).toBe(200);
    expect(found.body.items.map((l) => [l.id, l.client_request_id])).toEqual([[id, 'order-4711/try-1']]);
    const theirs = await t.api<Logs>('GET', '/api/logs?clientRequestId=order-4711%2Ftry-1', undefined, { cookie: other.cookie });
    expect(theirs.body.items).toEqual([]);
  });
});

describe('log lines of a call', () => {
  it('an internal error or a dependency outage is logged as JSON with the call’s request id', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    const r = toErrorResponse(new GatewayError('internal', 'boom', { cause: new Error('TypeError in a builder') }), 'openai', log, 'req_abc123');
    expect(r.status).toBe(500);
    const conn = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED', address: '127.0.0.1', port: 6379 });
    toErrorResponse(new GatewayError('unavailable', 'down', { cause: conn }), 'anthropic', log, 'req_def456');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ level: 'error', msg: 'internal error', request_id: 'req_abc123', err: { message: 'TypeError in a builder' } });
    expect(parsed[1]).toMatchObject({ level: 'warn', request_id: 'req_def456' });
  });
});

describe('OpenTelemetry traces (OTLP/HTTP)', () => {
  it('a call is a SERVER span with the GenAI attributes, each attempt a CLIENT span under it whose traceparent the provider got; a caller’s traceparent is the parent; an unsampled one is not recorded', async () => {
    const collector = await startCollector();
    open.push(collector);
    const failing = await startSimulator({ defaults: { fault: { kind: 'status', status: 500 } } });
    open.push(failing);
    const t = await startTestGateway({
      config: { healthProbeIntervalMs: 0, otlpEndpoint: collector.url, otlpHeaders: 'x-collector-key=k%3D1,x-tenant=apigpt', otelServiceName: 'apigpt-test' },
      channels: (sim) => [
        { provider: 'openai-compatible', name: 'failing', baseUrl: `${failing.url}/v1`, models: [MODEL], priority: 10 },
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: [MODEL] },
      ],
    });
    open.push(t);
    const user = await t.newUserWithKey();
    const spansOf = (traceId: string) => collector.spans.filter((s) => s.traceId === traceId);

    // 1. A caller in a trace of its own: the first channel fails (500), the second serves.
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const r = await chat(t, user.key, {}, { traceparent: `00-${traceId}-${callerSpan}-01`, 'x-client-request-id': 'job-17' });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    const requestId = r.headers.get('x-request-id')!;
    await eventually(() => expect(spansOf(traceId)).toHaveLength(3), { timeoutMs: 10_000, intervalMs: 50 });
    const [server] = spansOf(traceId).filter((s) => s.kind === 2);
    const clients = spansOf(traceId)
      .filter((s) => s.kind === 3)
      .sort((a, b) => Number(a.attrs['apigpt.attempt']) - Number(b.attrs['apigpt.attempt']));
    expect(server).toMatchObject({
      parentSpanId: callerSpan,
      name: `chat ${MODEL}`,
      status: { code: 0 },
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': MODEL,
        'gen_ai.response.model': MODEL,
        'gen_ai.provider.name': 'openai',
        'gen_ai.system': 'openai',
        'gen_ai.usage.input_tokens': body.usage.prompt_tokens,
        'gen_ai.usage.output_tokens': body.usage.completion_tokens,
        'http.response.status_code': 200,
        'http.route': '/v1/chat/completions',
        'apigpt.request_id': requestId,
        'apigpt.client_request_id': 'job-17',
        'apigpt.dialect': 'openai',
        'apigpt.stream': false,
        'apigpt.attempts': 2,
      },
    });
    expect(server.attrs['error.type']).toBeUndefined();
    expect(BigInt(server.endTimeUnixNano)).toBeGreaterThan(BigInt(server.startTimeUnixNano));
    expect(clients.map((c) => [c.parentSpanId, c.name, c.attrs['gen_ai.provider.name'], c.attrs['http.response.status_code'], c.status.code])).toEqual([
      [server.spanId, `chat ${MODEL}`, 'openai-compatible', 500, 2],
      [server.spanId, `chat ${MODEL}`, 'openai', 200, 0],
    ]);
    expect(clients[0].attrs['error.type']).toEqual(expect.any(String));
    expect(clients[1].attrs).toMatchObject({ 'gen_ai.usage.output_tokens': body.usage.completion_tokens, 'server.address': '127.0.0.1', 'server.port': Number(new URL(t.sim.url).port) });
    for (const c of clients) {
      expect(BigInt(c.startTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(server.startTimeUnixNano));
      expect(BigInt(c.endTimeUnixNano)).toBeLessThanOrEqual(BigInt(server.endTimeUnixNano));
    }
    // Each provider saw its own attempt's span as the parent, and the call's request id.
    expect(failing.requests.at(-1)!.headers).toMatchObject({ traceparent: `00-${traceId}-${clients[0].spanId}-01`, 'x-request-id': requestId });
    expect(t.sim.requests.at(-1)!.headers).toMatchObject({ traceparent: `00-${traceId}-${clients[1].spanId}-01`, 'x-request-id': requestId });

    // 2. An unsampled caller (flags 00): served, nothing recorded for its trace.
    const unsampled = randomBytes(16).toString('hex');
    expect((await chat(t, user.key, {}, { traceparent: `00-${unsampled}-${randomBytes(8).toString('hex')}-00` })).status).toBe(200);

    // 3. A streamed call with no trace of its own starts one; an error is an error span.
    const s = await chat(t, user.key, { stream: true });
    const sid = s.headers.get('x-request-id')!;
    expect(await s.text()).toContain('[DONE]');
    const refused = await chat(t, user.key, { model: 'no-such-model' });
    const rid = refused.headers.get('x-request-id')!;
    expect(refused.status).toBe(404);
    const byRequest = (id: string) => collector.spans.find((x) => x.kind === 2 && x.attrs['apigpt.request_id'] === id);
    await eventually(() => {
      expect(byRequest(sid)).toBeDefined();
      expect(byRequest(rid)).toBeDefined();
    }, { timeoutMs: 10_000, intervalMs: 50 });
    const streamSpan = byRequest(sid)!;
    expect(streamSpan.parentSpanId).toBeUndefined();
    expect(streamSpan.traceId).not.toBe(traceId);
    expect(streamSpan.attrs).toMatchObject({ 'apigpt.stream': true, 'gen_ai.request.model': MODEL, 'http.response.status_code': 200 });
    expect(Number(streamSpan.attrs['gen_ai.usage.output_tokens'])).toBeGreaterThan(0);
    expect(byRequest(rid)!).toMatchObject({ status: { code: 2 }, attrs: { 'error.type': 'model_not_found', 'http.response.status_code': 404, 'apigpt.attempts': 0 } });
    // The unsampled call came before these and was sent in order: it left nothing.
    expect(spansOf(unsampled)).toEqual([]);

    // Sent as the collector's configuration says: its path, its headers (values URL-decoded), the service's name.
    expect(collector.requests.every((q) => q.path === '/v1/traces' && q.headers['x-collector-key'] === 'k=1' && q.headers['x-tenant'] === 'apigpt')).toBe(true);
    // OTLP's default encoding, binary protobuf, decoded above with opentelemetry-proto's messages.
    expect(new Set(collector.requests.map((q) => q.headers['content-type']))).toEqual(new Set(['application/x-protobuf']));
    expect(collector.resources[0]).toMatchObject({ 'service.name': 'apigpt-test', 'service.instance.id': expect.stringContaining(String(process.pid)) });
  });

  it('sampling: at 0% a call without a trace of its own is not traced, a caller’s sampled trace still is', async () => {
    const collector = await startCollector();
    open.push(collector);
    // Sent as OTLP/JSON here (OTEL_EXPORTER_OTLP_PROTOCOL=http/json): the other encoding, read by the same collector.
    const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, otlpEndpoint: `${collector.url}/`, traceSamplePercent: 0, otlpProtocol: 'http/json' } });
    open.push(t);
    const user = await t.newUserWithKey();
    const plain = await chat(t, user.key);
    expect(plain.status).toBe(200);
    const traceId = randomBytes(16).toString('hex');
    expect((await chat(t, user.key, {}, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` })).status).toBe(200);
    await eventually(() => expect(collector.spans.filter((s) => s.traceId === traceId)).toHaveLength(2), { timeoutMs: 10_000, intervalMs: 50 });
    // Sent in order: the unsampled call, before it, left nothing.
    expect(collector.spans.filter((s) => s.attrs['apigpt.request_id'] === plain.headers.get('x-request-id'))).toEqual([]);
    expect(collector.spans).toHaveLength(2);
    expect(new Set(collector.requests.map((q) => q.headers['content-type']))).toEqual(new Set(['application/json']));
  });

  it('a collector that is down costs the calls nothing: they are served, the spans are dropped and counted', async () => {
    const collector = await startCollector();
    const url = collector.url;
    await collector.close();
    const t = await startTestGateway({ config: { healthProbeIntervalMs: 0, otlpTracesEndpoint: `${url}/v1/traces`, metricsToken: 'metrics-token' } });
    open.push(t);
    const user = await t.newUserWithKey();
    for (let i = 0; i < 3; i++) expect((await chat(t, user.key)).status).toBe(200);
    const tracer = (t.gw.services.pipeline as unknown as { deps: { tracer: { exporter: { flush(): Promise<void>; dropped: number; exported: number } } } }).deps.tracer;
    await tracer.exporter.flush();
    expect(tracer.exporter.dropped).toBe(6);
    expect(tracer.exporter.exported).toBe(0);
    const m = parseProm(await (await fetch(`${t.url}/metrics`, { headers: { authorization: 'Bearer metrics-token' } })).text());
    expect(m.sum('apigpt_trace_spans_total', { outcome: 'dropped' })).toBe(6);
    expect(m.sum('apigpt_trace_spans_total', { outcome: 'exported' })).toBe(0);
    expect(m.sum('apigpt_requests_total', { status: '200' })).toBe(3);
  });
});

describe.each(['http/protobuf', 'http/json'] as const)('an OTLP export encoded as %s', (protocol) => {
  it('reads back, field for field, as what was exported: ids, nanosecond times past 2^53, negative and large integers, doubles, booleans, Chinese text, an error status', async () => {
    const collector = await startCollector();
    open.push(collector);
    const { OtlpExporter } = await import('../../src/relay/otlp.js');
    const exporter = new OtlpExporter({ url: `${collector.url}/v1/traces`, serviceName: 'apigpt-encoding', protocol, resource: { 'service.instance.id': 'host:42' } });
    exporter.export({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      parentSpanId: 'a3ce929d0e0e4736',
      name: 'chat 通义千问',
      kind: 3,
      startTimeUnixNano: '1796291234567890123',
      endTimeUnixNano: '1796291234987654321',
      attributes: { 'gen_ai.usage.input_tokens': 12, 'apigpt.balance_delta': -9_007_199_254_740_991, 'apigpt.cost_points': 0.125, 'apigpt.stream': false, 'gen_ai.response.model': '智谱 glm-4', 'apigpt.absent': undefined },
      status: { code: 2, message: 'upstream 502' },
    });
    exporter.export({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'a3ce929d0e0e4736', name: 'chat', kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2', attributes: {}, status: { code: 0 } });
    await exporter.flush();
    expect(exporter.exported).toBe(2);
    expect(collector.requests.map((q) => q.headers['content-type'])).toEqual([protocol === 'http/json' ? 'application/json' : 'application/x-protobuf']);
    expect(collector.resources).toEqual([{ 'service.name': 'apigpt-encoding', 'telemetry.sdk.name': 'apigpt', 'telemetry.sdk.language': 'nodejs', 'service.instance.id': 'host:42' }]);
    expect(collector.spans).toEqual([
      {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
        parentSpanId: 'a3ce929d0e0e4736',
        name: 'chat 通义千问',
        kind: 3,
        startTimeUnixNano: '1796291234567890123',
        endTimeUnixNano: '1796291234987654321',
        attrs: { 'gen_ai.usage.input_tokens': 12, 'apigpt.balance_delta': -9_007_199_254_740_991, 'apigpt.cost_points': 0.125, 'apigpt.stream': false, 'gen_ai.response.model': '智谱 glm-4' },
        status: { code: 2, message: 'upstream 502' },
      },
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: 'a3ce929d0e0e4736', name: 'chat', kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2', attrs: {}, status: { code: 0 } },
    ]);
  });
});
