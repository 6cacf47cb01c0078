import cluster from 'node:cluster';
import type { Registry } from 'prom-client';
import type { LoadGuard } from './load.js';
import type { RequestLogRow } from './request-log.js';
import type { RetryBudget } from './retry-budget.js';

/** Upper bounds (seconds) of the call-duration histogram: from a cached answer to a long generation. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Upper bounds (seconds) of the time-to-first-token histogram (streams). */
export const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Distinct model names labelled at most; the rest read `other` (callers choose the name, so it is unbounded). */
const MAX_MODELS = 500;
/** Distinct error codes labelled at most (providers' codes pass through). */
const MAX_CODES = 200;
/** Micro-points per point (P). */
const MICRO = 1_000_000;

/** A value of one series, as prom-client's registries and cluster aggregation read it. */
interface Sample {
  labels: Record<string, string>;
  value: number;
  metricName?: string;
}

type Aggregator = 'sum' | 'max' | 'first' | 'omit';

/** A metric prom-client's Registry can hold: it asks `get()` at every scrape. */
export interface MetricSource {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: Aggregator;
  get(): Promise<{ name: string; help: string; type: string; aggregator: Aggregator; values: Sample[] }>;
}

function source(name: string, help: string, type: MetricSource['type'], aggregator: Aggregator, values: () => Sample[] | Promise<Sample[]>): MetricSource {
  return { name, help, type, aggregator, get: async () => ({ name, help, type, aggregator, values: await values() }) };
}

class Buckets {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
  /** Cumulative buckets, `_sum` and `_count`, as the text format wants them. */
  samples(name: string, labels: Record<string, string>, out: Sample[]): void {
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i];
      out.push({ labels: { ...labels, le: String(this.bounds[i]) }, value: cumulative, metricName: `${name}_bucket` });
    }
    out.push({ labels: { ...labels, le: '+Inf' }, value: this.count, metricName: `${name}_bucket` });
    out.push({ labels, value: this.sum, metricName: `${name}_sum` });
    out.push({ labels, value: this.count, metricName: `${name}_count` });
  }
}

/** Everything counted for one (model, channel, status, dialect). */
interface Series {
  labels: { model: string; channel: string; status: string; dialect: string };
  requests: number;
  duration: Buckets;
  ttft: Buckets;
  prompt: number;
  completion: number;
  cached: number;
  reasoning: number;
  credit: number;
  retries: number;
  failovers: number;
  cacheHits: number;
}

/**
 * What finished calls did, read from their request-log rows as they are pushed
 * (`RequestLogWriter.listen`): one map lookup and a few additions per call, no label hashing and no
 * allocation once a series exists. prom-client reads it only when scraped.
 */
export class CallMetrics {
  private readonly series = new Map<string, Series>();
  private readonly errors = new Map<string, { labels: Record<string, string>; n: number }>();
  private readonly models = new Set<string>();
  private readonly codes = new Set<string>();

  record(row: RequestLogRow): void {
    const model = this.label(this.models, MAX_MODELS, row.error_code === 'model_not_found' ? 'unknown' : (row.model_requested ?? 'none'));
    const channel = row.channel_id ?? 'none';
    const key = `${model}\u0001${channel}\u0001${row.status}\u0001${row.dialect}`;
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: { model, channel, status: String(row.status), dialect: row.dialect },
        requests: 0,
        duration: new Buckets(DURATION_BUCKETS),
        ttft: new Buckets(TTFT_BUCKETS),
        prompt: 0,
        completion: 0,
        cached: 0,
        reasoning: 0,
        credit: 0,
        retries: 0,
        failovers: 0,
        cacheHits: 0,
      };
      this.series.set(key, s);
    }
    s.requests++;
    s.duration.observe(row.latency_ms / 1000);
    if (row.ttft_ms !== null) s.ttft.observe(row.ttft_ms / 1000);
    s.prompt += row.prompt_tokens;
    s.completion += row.completion_tokens;
    s.cached += row.cached_tokens;
    s.reasoning += row.reasoning_tokens ?? 0;
    s.credit += row.cost;
    if (row.cache_hit) s.cacheHits++;
    // One attempt leaves no attempt log; several (or a failure) list each, in order.
    if (row.attempt_log) {
      const attempts = JSON.parse(row.attempt_log) as { channel: string }[];
      s.retries += Math.max(0, attempts.length - 1);
      for (let i = 1; i < attempts.length; i++) if (attempts[i].channel !== attempts[i - 1].channel) s.failovers++;
    }
    if (row.status >= 400) {
      const code = this.label(this.codes, MAX_CODES, row.error_code ?? 'none');
      const ekey = `${key}\u0001${code}`;
      const e = this.errors.get(ekey);
      if (e) e.n++;
      else this.errors.set(ekey, { labels: { ...s.labels, code }, n: 1 });
    }
  }

  /** The request metrics, for a registry. */
  sources(): MetricSource[] {
    const all = () => [...this.series.values()];
    const per = (pick: (s: Series) => number, labels: (s: Series) => Record<string, string> = (s) => s.labels) => () => all().map((s) => ({ labels: labels(s), value: pick(s) }));
    const noStatus = (s: Series) => ({ model: s.labels.model, channel: s.labels.channel, dialect: s.labels.dialect });
    return [
      source('apigpt_requests_total', 'Relay calls finished, by model, channel, status and dialect', 'counter', 'sum', per((s) => s.requests)),
      source('apigpt_request_errors_total', 'Relay calls that ended in an error status, by error code', 'counter', 'sum', () => [...this.errors.values()].map((e) => ({ labels: e.labels, value: e.n }))),
      source('apigpt_request_duration_seconds', 'Relay call duration, from the request to the end of the answer', 'histogram', 'sum', () => {
        const out: Sample[] = [];
        for (const s of all()) s.duration.samples('apigpt_request_duration_seconds', s.labels, out);
        return out;
      }),
      source('apigpt_time_to_first_token_seconds', 'Time to the first token of streamed answers', 'histogram', 'sum', () => {
        const out: Sample[] = [];
        for (const s of all()) if (s.ttft.count) s.ttft.samples('apigpt_time_to_first_token_seconds', s.labels, out);
        return out;
      }),
      source('apigpt_tokens_total', 'Tokens metered, by type (prompt includes cached; completion includes reasoning)', 'counter', 'sum', () =>
        all().flatMap((s) => {
          const l = noStatus(s);
          return [
            { labels: { ...l, type: 'prompt' }, value: s.prompt },
            { labels: { ...l, type: 'completion' }, value: s.completion },
            { labels: { ...l, type: 'cached' }, value: s.cached },
            { labels: { ...l, type: 'reasoning' }, value: s.reasoning },
          ];
        }),
      ),
      source('apigpt_credit_charged_points_total', 'Credit charged for relay calls, in points (P)', 'counter', 'sum', per((s) => s.credit / MICRO, noStatus)),
      source('apigpt_retries_total', 'Upstream attempts after the first one of a call (same channel again, or another)', 'counter', 'sum', per((s) => s.retries)),
      source('apigpt_failovers_total', 'Moves of a call from one channel to another', 'counter', 'sum', per((s) => s.failovers)),
      source('apigpt_cache_hits_total', 'Calls answered from the response cache', 'counter', 'sum', per((s) => s.cacheHits, noStatus)),
    ].map(mergeSameLabels);
  }

  private label(seen: Set<string>, max: number, value: string): string {
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  }
}

/** Series that differ only by a dropped label (status) are one sample in the text format: summed. */
function mergeSameLabels(m: MetricSource): MetricSource {
  return {
    ...m,
    async get() {
      const data = await m.get();
      const byKey = new Map<string, Sample>();
      for (const v of data.values) {
        const k = `${v.metricName ?? ''}${JSON.stringify(v.labels)}`;
        const prev = byKey.get(k);
        if (prev) prev.value += v.value;
        else byKey.set(k, { ...v });
      }
      return { ...data, values: [...byKey.values()] };
    },
  };
}

export interface MetricsDeps {
  calls: CallMetrics;
  logWriter: { readonly queued: number; readonly failing: boolean; readonly failedAttemptsTotal: number; readonly rowsGivenUp: number };
  /** The charges' journal has no room on its device for its next file (batch/journal.ts `full`). */
  journalFull: () => boolean;
  load: LoadGuard;
  budget: RetryBudget | null;
  /** The OTLP exporter's counts, when tracing is on. */
  traces?: { readonly exported: number; readonly dropped: number } | null;
  /** What the shared state filed again after Redis lost it (`SharedState.restored`). */
  state: { readonly restored: { readonly holds: number; readonly slots: number } };
  /** Each enabled channel's circuit state. */
  circuits: () => Promise<{ channel: string; state: 'closed' | 'open' | 'half_open' }[]>;
  /** PostgreSQL's connections (storage/pg-stalls.ts), absent on SQLite. */
  database?: { readonly unreachable: boolean; readonly stranded: number };
  /** The Redis clients' stranded connections made anew (state/connect.ts), absent without Redis. */
  redisStranded: () => number;
}

export interface GatewayMetrics {
  contentType: string;
  /** The text a scrape gets: this process's metrics, or with workers every worker's, aggregated. */
  text(): Promise<string>;
}

const CIRCUIT_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Messages between a worker and the primary (cli/cluster.ts) for an aggregated scrape: the scraped
 * worker asks (REQUEST), the primary collects every serving worker's registry (COLLECT → PART) and
 * answers the sum (REPLY).
 */
export const METRICS_REQUEST = 'apigpt:metrics-request';
export const METRICS_REPLY = 'apigpt:metrics-reply';
export const METRICS_COLLECT = 'apigpt:metrics-collect';
export const METRICS_PART = 'apigpt:metrics-part';

/**
 * The period of prom-client's event-loop monitor (`nodejs_eventloop_lag_*`, its default). Node's
 * `monitorEventLoopDelay` records the time between two runs of its timer, so every one of those
 * values includes this period: an idle process reads ~10 ms, not ~0. The gateway's own
 * `apigpt_event_loop_lag_seconds` takes it off (relay/load.ts); the Grafana dashboard takes it off
 * prom-client's p99 (deploy/grafana-dashboard.json, checked by test/ops/deploy.test.ts).
 */
export const EVENT_LOOP_MONITOR_MS = 10;

/**
 * The registry behind `/metrics`: the call metrics, the process's own (prom-client's defaults: heap,
 * RSS, CPU, GC, event-loop delay), and gauges read at scrape time — circuits, calls in flight, the
 * event loop's recent delay, the request-log writer's queue, refusals. prom-client is loaded here
 * only, so a gateway without a metrics token never loads it.
 */
export async function createMetrics(deps: MetricsDeps): Promise<GatewayMetrics> {
  const prom = await import('prom-client');
  const registry: Registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITOR_MS });
  const { load, budget } = deps;
  const extra: MetricSource[] = [
    source('apigpt_circuit_state', 'Channel circuit: 0 closed, 1 half-open (one probe may pass), 2 open', 'gauge', 'max', async () =>
      (await deps.circuits()).map((c) => ({ labels: { channel: c.channel }, value: CIRCUIT_VALUE[c.state] })),
    ),
    source('apigpt_inflight_calls', 'Relay calls in flight', 'gauge', 'sum', () => [{ labels: {}, value: load.inflight }]),
    source('apigpt_event_loop_lag_seconds', 'Worst event-loop delay of the last half second (what back-pressure compares)', 'gauge', 'max', () => [{ labels: {}, value: load.lagMs / 1000 }]),
    source('apigpt_log_writer_queue_rows', 'Request-log rows not yet committed (buffered or being written)', 'gauge', 'sum', () => [{ labels: {}, value: deps.logWriter.queued }]),
    source('apigpt_log_writer_failing', '1 while the request log cannot write its batch (the database away, a full disk, a read-only database): rows wait, credit stays held', 'gauge', 'max', () => [{ labels: {}, value: deps.logWriter.failing ? 1 : 0 }]),
    source('apigpt_log_writer_failed_attempts_total', 'Attempts at a request-log batch that failed (each is tried again; its rows are never lost)', 'counter', 'sum', () => [{ labels: {}, value: deps.logWriter.failedAttemptsTotal }]),
    source('apigpt_log_writer_rows_given_up_total', 'Request-log rows the database refused alone while it took others: left in the journal, reported by `apigpt billing check` (alert on any)', 'counter', 'sum', () => [{ labels: {}, value: deps.logWriter.rowsGivenUp }]),
    source('apigpt_journal_full', '1 while the charges\' journal has no room on its device for its next file; with the request log failing too, charged calls get 503 storage_unavailable', 'gauge', 'max', () => [{ labels: {}, value: deps.journalFull() ? 1 : 0 }]),
    source('apigpt_shed_total', 'Relay calls refused with 503 by back-pressure, by reason', 'counter', 'sum', () =>
      Object.entries(load.shed).map(([reason, n]) => ({ labels: { reason }, value: n })),
    ),
    source('apigpt_trace_spans_total', 'Spans handed to the OTLP endpoint (exported) or lost (dropped: queue full, collector down); absent without tracing', 'counter', 'sum', () =>
      deps.traces ? [{ labels: { outcome: 'exported' }, value: deps.traces.exported }, { labels: { outcome: 'dropped' }, value: deps.traces.dropped }] : [],
    ),
    source('apigpt_shared_state_restored_total', 'Holds and concurrency slots of calls in flight filed again in Redis after it lost them (a restart without persistence, a failover, an eviction) or took this process for dead', 'counter', 'sum', () => [
      { labels: { kind: 'hold' }, value: deps.state.restored.holds },
      { labels: { kind: 'slot' }, value: deps.state.restored.slots },
    ]),
    source('apigpt_stranded_connections_total', 'Connections found stranded (open, silent: a failover or a dropped route) and closed, by store (see README "When a connection is stranded")', 'counter', 'sum', () => [
      { labels: { store: 'postgresql' }, value: deps.database?.stranded ?? 0 },
      { labels: { store: 'redis' }, value: deps.redisStranded() },
    ]),
    source('apigpt_database_unreachable', '1 while PostgreSQL is taken for unreachable (a new connection got no answer): what needs it is refused at once with a retryable 503', 'gauge', 'max', () => [{ labels: {}, value: deps.database?.unreachable ? 1 : 0 }]),
    source('apigpt_retry_budget_refused_total', 'Retries and failovers not made because the retry budget was spent', 'counter', 'sum', () => [{ labels: {}, value: budget?.refused ?? 0 }]),
  ];
  for (const m of [...deps.calls.sources(), ...extra]) registry.registerMetric(m as never);

  if (cluster.isWorker && process.send) {
    // The primary asks each serving worker for its registry and sums them (prom-client's aggregation).
    process.on('message', (m: { type?: string; id?: number }) => {
      if (m?.type !== METRICS_COLLECT) return;
      registry.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: METRICS_PART, id: m.id, metrics }),
        () => process.send?.({ type: METRICS_PART, id: m.id, metrics: [] }),
      );
    });
    return { contentType: registry.contentType, text: () => askPrimary() };
  }
  return { contentType: registry.contentType, text: () => registry.metrics() };
}

let asked = 0;

/** A worker's scrape: the primary gathers every worker's metrics (this one's included) and answers. */
function askPrimary(): Promise<string> {
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('the primary did not answer the metrics request within 5 s')), 5_000);
    const onMessage = (m: { type?: string; id?: number; text?: string; error?: string }) => {
      if (m?.type !== METRICS_REPLY || m.id !== id) return;
      done(m.error ? new Error(m.error) : null, m.text ?? '');
    };
    const done = (err: Error | null, text?: string) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (err) reject(err);
      else resolve(text!);
    };
    process.on('message', onMessage);
    process.send!({ type: METRICS_REQUEST, id });
  });
}
