// What the chaos and probe tests share: a gateway on PostgreSQL and Redis, each behind a TCP proxy
// the test cuts or freezes, and the record of each answer a client got.
import { randomBytes } from 'node:crypto';
import { TcpProxy } from '../../../test-util/tcp-proxy.js';
import { PG_URL, REDIS_URL, startTestGateway, type TestGateway, type TestGatewayOptions } from './harness.js';

export interface ProxiedGateway {
  t: TestGateway;
  pgProxy: TcpProxy;
  redisProxy: TcpProxy;
  /** Heals both proxies, stops the gateway, then closes the proxies. */
  close(): Promise<void>;
}

/** A gateway on PostgreSQL and Redis (a key prefix of its own), each reached through its own proxy. */
export async function startProxiedGateway(opts: Omit<TestGatewayOptions, 'db'> = {}): Promise<ProxiedGateway> {
  const pgProxy = await TcpProxy.start(PG_URL);
  const redisProxy = await TcpProxy.start(REDIS_URL);
  const t = await startTestGateway({
    ...opts,
    db: 'postgres',
    config: { databaseUrl: pgProxy.url(PG_URL), redisUrl: redisProxy.url(REDIS_URL), redisPrefix: `apigpt-test:${randomBytes(6).toString('hex')}:`, ...opts.config },
  });
  return {
    t,
    pgProxy,
    redisProxy,
    async close() {
      await pgProxy.restore();
      await redisProxy.restore();
      await t.close();
      await pgProxy.close();
      await redisProxy.close();
    },
  };
}

/** One answer a client got, or why it got none. */
export interface Answer<K extends string> {
  client: number;
  kind: K;
  phase: string;
  status: number;
  retryAfter: string | null;
  requestId: string | null;
  body: string;
  /** Set when no answer came (the request timed out, or the gateway dropped the connection). */
  failure?: string;
}

/** Waits for `response` and records it (status, retry-after, request id, body) or its failure. */
export async function answerOf<K extends string>(response: Promise<Response>, about: { client: number; kind: K; phase: string }): Promise<Answer<K>> {
  const a: Answer<K> = { ...about, status: 0, retryAfter: null, requestId: null, body: '' };
  try {
    const res = await response;
    a.status = res.status;
    a.retryAfter = res.headers.get('retry-after');
    a.requestId = res.headers.get('x-request-id');
    a.body = await res.text();
  } catch (err) {
    a.failure = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
  }
  return a;
}
