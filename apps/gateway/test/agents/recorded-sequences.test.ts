import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';
import { audit, setBalance, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { claudeCode, codexCli, geminiCli } from './agents.js';
import { opaqueValues, replaceAll, signaturesIn, type AgentFixture } from './recorded.js';
import { chargesOf, expectedCharges, PRICE, agentChannels, startTap, wireOf, type Exchange, type Tap } from './tap.js';

/**
 * The request sequences Claude Code, Codex CLI and Gemini CLI sent (recorded by record-fixtures.ts
 * into fixtures/agents/), replayed turn by turn through a real gateway in front of the simulator,
 * without starting the agents: fast, and the same every run.
 *
 * A later turn carries earlier answers back (signed thinking, encrypted reasoning, thoughtSignatures,
 * tool-call ids). The simulator signs per instance, so the recorded values would not verify here:
 * each is replaced by the value at the same place in THIS run's answer, as the agent would have done.
 * The simulator checks every signature it gets back, so a signature the gateway altered fails the turn.
 *
 * For every turn: it succeeds; the signatures it carries reach the provider byte for byte as the
 * gateway returned them; on Anthropic channels every anthropic-beta value, the version and
 * ?beta=true arrive as the agent sent them; and each call's charge is the provider's own usage
 * priced by the test's table.
 */

const FIXTURES = ['claude-code', 'codex-cli', 'gemini-cli'].map((f) => JSON.parse(readFileSync(new URL(`../fixtures/agents/${f}.json`, import.meta.url), 'utf8')) as AgentFixture);

/** The key goes where each provider's clients send it. */
function credentials(url: string, key: string): Record<string, string> {
  switch (wireOf(url)) {
    case 'anthropic':
      return { 'x-api-key': key };
    case 'gemini':
      return { 'x-goog-api-key': key };
    default:
      return { authorization: `Bearer ${key}` };
  }
}

interface Row {
  status: number;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  cost: number;
}

let t: TestGateway;
let upstream: Tap;

beforeAll(async () => {
  upstream = await startTap();
  t = await startTestGateway({
    simulator: { apiKey: SIM_KEY },
    channels: (sim) => agentChannels(upstream, sim.url, SIM_KEY, { anthropic: claudeCode.models, openai: codexCli.models, gemini: geminiCli.models }),
  });
  for (const agent of [claudeCode, codexCli, geminiCli]) for (const m of agent.models) await setPrice(t, m, PRICE.input, PRICE.output, { cachedInput: PRICE.cachedInput });
});
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

describe.each(FIXTURES)('recorded $agent sequences replayed through the gateway', (fixture) => {
  it.each(fixture.sessions)('$name: every turn succeeds, signatures survive, betas arrive, billing is exact', async (session) => {
    const user = await t.newUserWithKey();
    await setBalance(t, user.userId, user.cookie, 10_000);
    /** Recorded opaque value → the one this run's answer has in its place. */
    const swap = new Map<string, string>();
    /** Every opaque value the gateway returned in this session. */
    const returned = new Set<string>();
    const provider: Exchange[] = [];
    let carried = 0;

    for (const [i, turn] of session.turns.entries()) {
      const body = replaceAll(turn.body, [...swap]);
      const mark = upstream.exchanges.length;
      const res = await fetch(t.url + turn.url, { method: turn.method, headers: { ...turn.headers, ...credentials(turn.url, user.key) }, body: JSON.stringify(body) });
      const text = await res.text();
      expect(res.status, `turn ${i} ${turn.url}: ${text.slice(0, 400)}`).toBe(200);

      // The turn reached the provider once, and succeeded there.
      const got = upstream.exchanges.slice(mark);
      expect(got.length).toBe(1);
      const up = got[0];
      expect(up.status).toBe(200);
      provider.push(up);

      // Signatures carried back reach the provider byte for byte as the gateway returned them.
      const sent = signaturesIn(body);
      expect(sent.length).toBe(signaturesIn(turn.body).length);
      for (const s of sent) expect(returned, 'a signature this run returned').toContain(s);
      expect(signaturesIn(JSON.parse(up.request))).toEqual(sent);
      carried += sent.length;

      if (wireOf(turn.url) === 'anthropic') {
        expect(turn.headers['anthropic-beta']).toBeTruthy();
        expect({ beta: up.headers['anthropic-beta'], version: up.headers['anthropic-version'] }).toEqual({ beta: turn.headers['anthropic-beta'], version: turn.headers['anthropic-version'] });
        expect(up.url).toMatch(/\?beta=true$/);
      }

      // This run's answer stands in for the recorded one in the turns that follow.
      const values = opaqueValues(turn.url, text);
      expect(values.length, `opaque values of turn ${i}'s answer`).toBe(turn.answer.length);
      turn.answer.forEach((recorded, k) => swap.set(recorded, values[k]));
      for (const v of values) returned.add(v);
    }

    // A tool round trip carries the first answer's signed reasoning into the second turn.
    if (session.name === 'tool') expect(carried).toBeGreaterThan(0);

    const rows = await eventually(async () => {
      await t.flushLogs();
      const found = (await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', user.userId).execute()) as Row[];
      expect(found.length).toBe(session.turns.length);
      return found;
    });
    for (const r of rows) expect(r.status).toBe(200);
    expect(chargesOf(rows)).toEqual(expectedCharges(provider));
    expect((await audit(t)).problems).toEqual([]);
  });
});
