import type { FastifyInstance } from 'fastify';
import type { Simulator } from '@apigpt/simulator';
import { ensureRootAdmin } from './accounts/bootstrap.js';
import { applySessionPolicy } from './accounts/sessions.js';
import { bootstrapProviderChannels, builtinSimulatorNeeded, ensureDemoChannel, wantsDemoChannel } from './channels/bootstrap.js';
import type { Config } from './config/config.js';
import { countTokens } from './formats/tokens.js';
import { openaiAdapter } from './providers/openai/index.js';
import { createServices, type ServiceOverrides, type Services } from './services.js';
import { buildServer, type ServerOptions } from './http/server.js';
import { ServerConnections } from './http/connections.js';

export interface Gateway {
  app: FastifyInstance;
  services: Services;
  /** Base URL the gateway listens on, e.g. http://127.0.0.1:3000 */
  url: string;
  simulator: Simulator | null;
  /** Set on the first start only, when the root admin's password was generated. */
  firstStart: { adminEmail: string; generatedPassword?: string } | null;
  /**
   * Graceful stop: no new connections, calls in flight (streams included) may finish for up to
   * `shutdownGraceMs`, then the rest are cut; the request log and ledger batches are written last.
   */
  close(): Promise<void>;
}

/** Models of channels configured at first start but unknown to the price table are priced like this one. */
const FALLBACK_PRICE_MODEL = 'gpt-4o-mini';

export interface StartOptions extends ServiceOverrides, ServerOptions {
  /** Listen (default true); false builds everything for `app.inject`. */
  listen?: boolean;
}

/**
 * Starts a whole gateway from config: storage and migrations, the root admin, channels from the
 * environment (or the simulated demo channel), the HTTP server.
 */
export async function startGateway(config: Config, opts: StartOptions = {}): Promise<Gateway> {
  const services = await createServices(config, opts);
  let simulator: Simulator | null = null;
  let app: FastifyInstance | null = null;
  try {
    const admin = await ensureRootAdmin(services.db, config.adminEmail, config.adminPassword, { minScore: config.passwordMinScore });
    // Sessions keep their idle limit on the row; a changed setting applies to those already open.
    await applySessionPolicy(services.db, { idleMs: config.sessionIdleMinutes * 60_000 });
    if (config.smtpUrl && !config.publicUrl) services.log.warn(`APIGPT_SMTP_URL is set but APIGPT_PUBLIC_URL is not: links in account mails will point at this server's own address (${config.host}:${config.port}), which may not be where people reach it.`);
    // The root admin opens its account like any sign-up (trial credit), so the quickstart key works.
    if (admin) await services.db.transaction().execute((trx) => services.billing.onUserCreated(trx as unknown as typeof services.db, admin.user));
    const created = await bootstrapProviderChannels(config, services.channels, services.log, (baseUrl, key) => discoverModels(services, baseUrl, key));
    const priced = await services.billing.prices.priceUnpriced(created.flatMap((c) => [...c.models, ...Object.keys(c.modelMap)]), FALLBACK_PRICE_MODEL);
    if (priced.length) services.log.warn(`No price was known for ${priced.join(', ')}: they are billed like ${FALLBACK_PRICE_MODEL} until an admin sets their prices.`);
    if (wantsDemoChannel(config) || (await builtinSimulatorNeeded(services.channels))) {
      // Loaded only when a channel needs it: a gateway with real providers never compiles the simulator (issue 19).
      const { startSimulator } = await import('@apigpt/simulator');
      // The simulator runs in this process: it counts with the gateway's own counter (formats/bpe.ts:
      // O(n log n), a 4.3 MB table), not gpt-tokenizer's (quadratic in a piece's length, ~50 MB).
      simulator = await startSimulator({ port: config.simulatorPort, host: '127.0.0.1', countTokens });
      const demo = await ensureDemoChannel(services.channels, simulator.url, services.log);
      if (!demo) {
        await simulator.close();
        simulator = null;
      }
    }
    app = await buildServer(services, opts);
    const connections = new ServerConnections(app.server);
    let url = '';
    if (opts.listen !== false) {
      url = await app.listen({ port: config.port, host: config.host });
      url = url.replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
      const addr = app.server.address();
      if (addr && typeof addr === 'object') url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${addr.port}`;
    } else {
      await app.ready();
    }
    services.health.monitor.start();
    // Money admins' refunds still owe payers (a kill or an unreachable provider after the refund).
    services.payments.returns.start();
    // Unpaid orders whose payment callback may have been lost are asked about at their providers.
    services.payments.reconciler.start();
    const sim = simulator;
    const server = app;
    return {
      app: server,
      services,
      url,
      simulator: sim,
      firstStart: admin ? { adminEmail: admin.user.email, generatedPassword: admin.generatedPassword } : null,
      async close() {
        await drain(server, connections, config.shutdownGraceMs);
        await services.close();
        if (sim) await sim.close();
      },
    };
  } catch (err) {
    if (app) await app.close().catch(() => {});
    await services.close().catch(() => {});
    if (simulator) await simulator.close().catch(() => {});
    throw err;
  }
}

/**
 * Stops accepting, waits for running calls up to `graceMs` while the connections they leave idle are
 * closed (http/connections.ts), then closes whatever is left.
 */
async function drain(app: FastifyInstance, connections: ServerConnections, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const cut = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      app.server.closeAllConnections();
      resolve();
    }, graceMs);
    timer.unref();
  });
  const closed = app.close();
  const stopReaping = connections.closeAsIdle();
  await Promise.race([closed, cut]);
  stopReaping();
  clearTimeout(timer);
}

/** Asks an OpenAI-style server which models it has (`GET {baseUrl}/models`), for channels made from the environment. */
async function discoverModels(services: Services, baseUrl: string, key?: string): Promise<string[]> {
  const res = await services.upstream.send({ method: 'GET', url: `${baseUrl}/models`, headers: key ? { authorization: `Bearer ${key}` } : {} }, AbortSignal.timeout(10_000), { headersMs: 10_000 });
  const text = await res.body.text();
  if (res.status >= 400) throw new Error(`HTTP ${res.status}`);
  const ids = openaiAdapter.parseModels!(JSON.parse(text));
  if (ids.length === 0) throw new Error('the server listed no models');
  return ids;
}
