import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '@apigpt/simulator';
import { startTestGateway, type TestGateway } from '../harness.js';
import { BUILD, sseEvents, type IngressName } from './clients.js';
import { allChannels, modelFor, NO_BILLING, PROVIDERS, SIM_KEY } from './providers.js';

/**
 * Provider failures (the simulator's faults) reach each client dialect as that dialect's own error,
 * with a status its SDK acts on: retry on 429/5xx/529, give up on 4xx, and a well-formed in-band
 * error when a stream breaks after the first byte.
 */
const INGRESSES: IngressName[] = ['openai', 'anthropic', 'gemini'];

interface Fault {
  name: string;
  directive: string;
  /** Status each client dialect sees; Anthropic clients get 529 for overload, as Anthropic sends it. */
  status: (ingress: IngressName) => number;
}

const FAULTS: Fault[] = [
  { name: 'not found (404)', directive: 'fault=status:404', status: () => 404 },
  { name: 'rate limited (429)', directive: 'fault=status:429:retry-after=7', status: () => 429 },
  { name: 'server error (500)', directive: 'fault=status:500', status: () => 502 },
  { name: 'overloaded (503)', directive: 'fault=status:503', status: (i) => (i === 'anthropic' ? 529 : 503) },
  { name: 'malformed body', directive: 'fault=malformed', status: () => 502 },
];

const ANTHROPIC_TYPES: Record<number, string> = { 502: 'api_error', 404: 'not_found_error', 429: 'rate_limit_error', 529: 'overloaded_error' };
const GOOGLE_STATUS: Record<number, string> = { 502: 'UNAVAILABLE', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED', 503: 'UNAVAILABLE' };

/** The caller's own error envelope, checked field by field. */
function expectDialectError(ingress: IngressName, status: number, body: any): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (ingress === 'openai') {
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.message).toBeTruthy();
  } else if (ingress === 'anthropic') {
    expect(body.type).toBe('error');
    expect(body.error.type).toBe(ANTHROPIC_TYPES[status]);
    expect(body.error.message).toBeTruthy();
  } else {
    expect(body.error.code).toBe(status);
    expect(body.error.status).toBe(GOOGLE_STATUS[status]);
    expect(body.error.message).toBeTruthy();
  }
}

describe('provider errors in every client dialect', () => {
  let t: TestGateway;
  let key: string;

  beforeAll(async () => {
    // Tests see each failure once: no retry on another channel (each model has one) nor on the same.
    // A wrong channel key opens the channel's circuit at once, so each dialect gets its own
    // wrong-key channel per provider; the other faults stay below the circuit's thresholds.
    const badKey = (sim: Simulator) =>
      PROVIDERS.filter((p) => p.name !== 'chatglm').flatMap((p) =>
        INGRESSES.map((i) => ({ ...p.channel(sim, `${modelFor(p)}-badkey-${i}`), name: `${p.name} bad key ${i}`, secret: 'wrong.key' })),
      );
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => [...allChannels(sim), ...badKey(sim)],
      start: NO_BILLING,
      config: { retryMaxAttempts: 1, circuitFailures: 1000 } as never,
    });
    key = (await t.newUserWithKey()).key;
  });
  afterAll(() => t?.close());

  for (const ingress of INGRESSES) {
    for (const provider of PROVIDERS) {
      describe(`${ingress} client → ${provider.name}`, () => {
        for (const fault of FAULTS) {
          it(fault.name, async () => {
            const req = BUILD[ingress](modelFor(provider), { user: `Hello [[sim ${fault.directive}]]` }, key);
            const res = await fetch(t.url + req.path, { method: 'POST', headers: { 'content-type': 'application/json', ...req.headers }, body: JSON.stringify(req.body) });
            const status = fault.status(ingress);
            expect(res.status).toBe(status);
            expectDialectError(ingress, status, await res.json());
            // The provider's retry-after reaches the caller, whatever the provider.
            if (status === 429) expect(res.headers.get('retry-after')).toBe('7');
          });
        }

        if (provider.name !== 'chatglm')
          it('provider refuses the channel key (401/400 API_KEY_INVALID) → 502, not the caller\'s 401', async () => {
            const req = BUILD[ingress](`${modelFor(provider)}-badkey-${ingress}`, { user: 'Hello' }, key);
            const res = await fetch(t.url + req.path, { method: 'POST', headers: { 'content-type': 'application/json', ...req.headers }, body: JSON.stringify(req.body) });
            expect(res.status).toBe(502);
            const body = await res.json();
            expectDialectError(ingress, 502, body);
            expect(JSON.stringify(body)).toMatch(/channel's credentials/);
          });

        it('stream cut in the middle ends with an in-band error in the caller dialect', async () => {
          const req = BUILD[ingress](modelFor(provider), { user: 'Hello [[sim chunks=8 fault=drop:4]]', stream: true }, key);
          const res = await fetch(t.url + req.path, { method: 'POST', headers: { 'content-type': 'application/json', ...req.headers }, body: JSON.stringify(req.body) });
          expect(res.status).toBe(200);
          const events = sseEvents(await res.text());
          const last = events.at(-1)!;
          const data = JSON.parse(last.data);
          if (ingress === 'anthropic') {
            expect(last.event).toBe('error');
            expect(data.type).toBe('error');
            expect(events.some((e) => e.event === 'message_stop')).toBe(false);
          } else {
            expect(data.error.message).toMatch(/stream/i);
            expect(events.some((e) => e.data === '[DONE]')).toBe(false);
          }
          // Some text got through before the cut.
          expect(events.length).toBeGreaterThanOrEqual(2);
        });
      });
    }
  }
});
