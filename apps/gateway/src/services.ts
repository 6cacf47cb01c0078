import type { Config } from './config/config.js';
import type { Logger } from './core/logger.js';
import { openStorage, type Storage } from './storage-handle.js';
import { join } from 'node:path';
import { FORMATS } from './formats/registry.js';
import { FileImageStore, ImageLinks, S3ImageStore, type ImageStore } from './media/storage.js';
import { UrlSigner } from './media/signing.js';
import { allowAllPrompts, type ImageDeps, type PromptCheck } from './relay/exchanges/image.js';
import type { TextDeps } from './relay/exchanges/text.js';
import type { CallPolicy } from './relay/policy.js';
import { Billing } from './billing/index.js';
import { CallPipeline } from './relay/pipeline.js';
import { SafetyGuard } from './safety/guard.js';
import { PolicyStore } from './safety/policies.js';
import { Moderator } from './relay/moderation.js';
import { SafetyStore } from './safety/store.js';
import { createPrivacy, type Privacy } from './privacy/index.js';
import { RequestLogWriter } from './relay/request-log.js';
import { createBatchStore, Journal, replayJournals } from './batch/index.js';
import { Router } from './relay/router.js';
import { UpstreamClient } from './relay/upstream.js';
import { ResponseCache } from './relay/cache.js';
import { CountThread } from './formats/count-thread.js';
import { CircuitBreaker } from './relay/health/circuit.js';
import { HealthMonitor } from './relay/health/monitor.js';
import { ChannelGate } from './relay/health/gate.js';
import { ChannelAffinity } from './relay/affinity.js';
import { parseStatuses } from './relay/retry.js';
import { ChannelEvents } from './channels/events.js';
import { KeyResolver } from './apps/keys.js';
import { createKv, type KvStore } from './state/kv.js';
import { LoadGuard } from './relay/load.js';
import { RetryBudget } from './relay/retry-budget.js';
import { CallMetrics, createMetrics, type GatewayMetrics } from './relay/metrics.js';
import { Payments } from './payments/index.js';
import { LoginThrottle } from './accounts/throttle.js';
import { createMailer, defaultMailFrom, type Mailer } from './accounts/mailer.js';
import { Announcements, SupportDesk } from './support/index.js';


export interface Services extends Storage {
  router: Router;
  upstream: UpstreamClient;
  logWriter: RequestLogWriter;
  policy: CallPolicy;
  /** The one call pipeline every operation runs through. */
  pipeline: CallPipeline;
  /** What text calls share: the formats' codecs and canonical mappings, the response cache. */
  text: TextDeps;
  /** What image calls share: signed links to stored images, the prompt check. */
  images: ImageDeps;
  /** Credit, prices, limits and the shared state (memory or Redis) they use. */
  billing: Billing;
  /** API keys of relay callers (cached exactly where the database allows). */
  keys: KeyResolver;
  /** Channel health: circuit breakers, the background probe, the event history. */
  health: { circuit: CircuitBreaker; monitor: HealthMonitor; events: ChannelEvents; gate: ChannelGate };
  /** Brakes on password guessing and mass sign-up, counted in the shared state. */
  throttle: LoginThrottle;
  /** Online recharge: top-up orders, the configured payment providers, their callbacks. */
  payments: Payments;
  /** Account mails (verification, password reset) over SMTP; null when APIGPT_SMTP_URL is unset (mail off). */
  mailer: Mailer | null;
  /** Plain shared keys (circuits, cache, retry budget): memory, or Redis when configured. */
  kv: KvStore;
  /** Back-pressure: calls in flight and the event loop's delay against their limits. */
  load: LoadGuard;
  /** `/metrics`; null when APIGPT_METRICS_TOKEN is unset (nothing is measured). */
  metrics: GatewayMetrics | null;
  /** Content safety: the admins' rules and decisions, and the guard the pipeline asks. */
  safety: { store: SafetyStore; policies: PolicyStore; guard: SafetyGuard };
  /** Human support (tickets, mailed to the other side when SMTP is on) and dashboard announcements. */
  support: { desk: SupportDesk; announcements: Announcements };
  /** Privacy protection: the admins' policies, redaction, the content log and its purge, account export and deletion. */
  privacy: Privacy;
}

export interface ServiceOverrides {
  log?: Logger;
  /** Replaces the default billing policy (tests of the relay alone use LogOnlyPolicy). */
  policy?: (storage: Storage, logWriter: RequestLogWriter) => CallPolicy;
  /** Content-safety check of image prompts (default: admit every prompt). */
  checkPrompt?: PromptCheck;
  random?: () => number;
}

/** Everything the server runs on, built from config: no globals, so tests can build many. */
export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const storage = await openStorage(config, overrides.log);
  const router = new Router(storage.channels, overrides.random);
  const upstream = new UpstreamClient({
    connectMs: config.upstreamConnectTimeoutMs,
    headersMs: config.upstreamTimeoutMs,
    idleMs: config.upstreamIdleTimeoutMs,
  });
  const batchStore = createBatchStore(storage.dbh, config.dataDir, config.sqliteWriterCacheMb);
  const logWriter = new RequestLogWriter(batchStore, config.logFlushMs, storage.log);
  // On SQLite the writer is a thread (batch/thread.ts), started by the first batch or /readyz check,
  // not here: a gateway nobody calls does not hold it (about 15 MB), and a call never waits for it.
  let billing: Billing;
  let journal: Journal;
  try {
    billing = await Billing.create({ config, db: storage.db, log: storage.log, changeToken: storage.dbh.changeToken });
    // Calls a stopped process served and journaled but never got into the database are charged
    // now, before this process serves anything; then this process journals its own.
    const journalDir = join(config.dataDir, 'journal');
    const recovered = await replayJournals(journalDir, batchStore, (entries) => billing.state.commit(entries, []));
    if (recovered.rows) storage.log.info(`billing: charged ${recovered.rows} calls from the journals of ${recovered.journals} stopped processes`);
    if (recovered.interrupted)
      storage.log.warn(`billing: ${recovered.interrupted} of them were in flight when the machine restarted and were charged their reservation (request log: error code 'interrupted'); review them`);
    journal = await Journal.open({ dir: journalDir, owner: `${Date.now().toString(36)}-${billing.state.owner}`, sync: config.journalSync, finalSync: config.journalFinalSync, inlineSlowMs: config.journalInlineMaxMs, busyInlineMaxUs: config.journalInlineBusyMaxUs });
    billing.charges.useJournal(journal);
  } catch (err) {
    await batchStore.close().catch(() => undefined);
    await billing!?.close().catch(() => undefined);
    await storage.close();
    throw err;
  }
  const policy = overrides.policy ? overrides.policy(storage, logWriter) : billing.policy(logWriter);
  const kv = await createKv(config, storage.log);
  const events = new ChannelEvents(storage.db, storage.log);
  const circuit = new CircuitBreaker(
    kv,
    { failureThreshold: config.circuitFailures, errorRate: config.circuitErrorRatePercent / 100, minRequests: 20, windowMs: 60_000, cooldownMs: config.circuitCooldownMs },
    (id, kind, detail) => events.record(id, kind, detail),
  );
  const monitor: HealthMonitor = new HealthMonitor(storage.channels, circuit, events, upstream, storage.log, { intervalMs: config.healthProbeIntervalMs, autoDisableAfterTrips: config.autoDisableAfterTrips });
  // Fire and forget from the call path: a failure (Redis or the database unreachable) is logged, never unhandled.
  const gate = new ChannelGate(circuit, (id) => void monitor.onCircuitOpened(id).catch((err) => storage.log.error(`could not check channel ${id} for auto-disable`, err)));
  const budget = new RetryBudget(kv, { percent: config.retryBudgetPercent, minPerSec: config.retryBudgetMinPerSec }, storage.log);
  const load = new LoadGuard({ maxInflight: config.maxInflight, maxLagMs: config.maxEventLoopLagMs }, Boolean(config.metricsToken));
  load.start();
  // Loaded only when an OTLP endpoint is set: without one the pipeline has no tracer at all.
  const otlpUrl = config.otlpTracesEndpoint ?? (config.otlpEndpoint ? `${config.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` : null);
  const tracer = otlpUrl
    ? new (await import('./relay/tracing.js')).CallTracer({ url: otlpUrl, headers: (await import('./relay/otlp.js')).parseOtlpHeaders(config.otlpHeaders), serviceName: config.otelServiceName, protocol: (config.otlpTracesProtocol ?? config.otlpProtocol) as 'http/protobuf' | 'http/json', samplePercent: config.traceSamplePercent, log: storage.log })
    : undefined;
  let metrics: GatewayMetrics | null = null;
  if (config.metricsToken) {
    // Read from each request-log row as it is pushed: the one place every finished call passes.
    const calls = new CallMetrics();
    logWriter.listen((row) => calls.record(row));
    metrics = await createMetrics({
      calls,
      logWriter,
      load,
      budget,
      traces: tracer?.exporter ?? null,
      state: billing.state,
      journalFull: () => billing.charges.journalFull,
      circuits: async () => Promise.all((await storage.channels.active()).map(async (c) => ({ channel: c.id, state: (await circuit.view(c.id)).state }))),
      database: storage.dbh.connections,
      redisStranded: () => (billing.state.strandedConnections ?? 0) + (kv.strandedConnections ?? 0),
    });
  }
  const safetyStore = new SafetyStore(storage.db);
  const policyStore = new PolicyStore(storage.db);
  const guard = new SafetyGuard(safetyStore, policyStore, storage.log, storage.dbh.changeToken);
  await guard.reload();
  const payments = new Payments({ config, db: storage.db, billing, log: storage.log });
  const privacy = await createPrivacy(storage.db, storage.log, { changeToken: storage.dbh.changeToken });
  const pipeline = new CallPipeline({
    router,
    upstream,
    policy,
    logWriter,
    retry: { maxAttempts: config.retryMaxAttempts, statuses: parseStatuses(config.retryStatuses), baseDelayMs: config.retryBaseDelayMs, maxDelayMs: 5_000, maxRetryAfterMs: config.retryMaxWaitMs, budget },
    gate,
    affinity: new ChannelAffinity(kv, () => billing.settings.current().affinityTtlSec * 1000),
    guard,
    moderator: new Moderator(router, upstream, gate),
    privacy: privacy.guard,
    tracer,
  });
  // A call settling alone writes its charge's journal row on the event loop's own thread: nothing
  // else waits, and the thread pool's round trip is most of a lone call's durable write. Calls
  // settling beside others do too while the device is quick (`journalInlineBusyMaxUs`).
  journal.inlineWhen(() => pipeline.alone);
  const counter = new CountThread();
  const text: TextDeps = {
    codecs: new Map(FORMATS.filter((f) => f.codec).map((f) => [f.id, f.codec!])),
    wires: new Map(FORMATS.filter((f) => f.wire).map((f) => [f.id, f.wire!])),
    cache: new ResponseCache(kv),
    cacheHitFraction: config.cacheHitPercent / 100,
    counter,
  };
  const links = new ImageLinks(openImageStore(config), new UrlSigner(storage.masterKey), config.imageUrlTtl);
  const images: ImageDeps = { links, checkPrompt: overrides.checkPrompt ?? allowAllPrompts, channels: storage.channels, counter };
  const mailer = config.smtpUrl ? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom ?? defaultMailFrom(config.publicUrl), log: storage.log }) : null;

  return {
    ...storage,
    router,
    upstream,
    logWriter,
    policy,
    pipeline,
    text,
    images,
    billing,
    health: { circuit, monitor, events, gate },
    keys: new KeyResolver(storage.db, storage.dbh.changeToken),
    payments,
    throttle: new LoginThrottle(kv, { maxFailures: config.loginMaxFailures, windowMs: config.loginWindowMs, lockMs: config.loginLockMs, signupsPerHour: config.signupsPerIpHour, mailsPerHour: config.mailsPerAccountHour }),
    mailer,
    kv,
    load,
    metrics,
    safety: { store: safetyStore, policies: policyStore, guard },
    support: { desk: new SupportDesk(storage.db, mailer), announcements: new Announcements(storage.db) },
    privacy,
    async close() {
      load.stop();
      await payments.returns.close();
      await payments.reconciler.close();
      await privacy.close();
      await budget.close().catch(() => undefined);
      await monitor.stop();
      await mailer?.close();
      await links.close();
      await logWriter.close();
      await tracer?.close().catch(() => undefined);
      await journal.close();
      await counter.close();
      await upstream.close();
      await billing.close();
      await kv.close();
      await storage.close();
    },
  };
}

/** File folder by default; an S3-compatible bucket when an endpoint is configured (then all of it is required). */
function openImageStore(config: Config): ImageStore {
  if (!config.s3Endpoint) return new FileImageStore(join(config.dataDir, 'images'), config.imageUrlTtl * 1000);
  const missing = (['s3Bucket', 's3AccessKeyId', 's3SecretAccessKey'] as const).filter((k) => !config[k]);
  if (missing.length) throw new Error(`APIGPT_S3_ENDPOINT is set, so these settings are needed too: ${missing.join(', ')}`);
  return new S3ImageStore({ endpoint: config.s3Endpoint, bucket: config.s3Bucket!, region: config.s3Region, accessKeyId: config.s3AccessKeyId!, secretAccessKey: config.s3SecretAccessKey! });
}
