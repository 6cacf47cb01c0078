import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInput } from '../../src/channels/channels.js';
import { startTestGateway, type TestGateway } from '../harness.js';
import { audit, setBalance, setPrice } from '../billing/helpers.js';
import { eventually } from '../eventually.js';
import { SIM_KEY } from '../dialects/providers.js';
import { agentEnv, describeRun, killRunningAgents, runAgent, startEgressSink, throwawayHome, type AgentHome, type AgentRun, type EgressSink } from './agent-process.js';
import { claudeCode, codexCli, geminiCli, type CodingAgent } from './agents.js';
import { chargesOf, expectedCharges, payloads, PRICE, startTap, textOf, toolCallsOf, wireOf, type Exchange, type Tap } from './tap.js';

/**
 * Claude Code, Codex CLI and Gemini CLI themselves — the npm packages at the versions the repo pins,
 * run headless as a user runs them — through the gateway in front of the simulator, with their
 * default models. Each run has a throwaway HOME, no telemetry, no way out of the machine (a loopback
 * proxy refuses and records what they try) and a hard timeout.
 *
 * The simulator is steered by a directive in the prompt: a plain answer, or a call of the agent's
 * file-reading tool on a file of the workspace, which the agent runs before it asks again and gets
 * the final answer (the simulator quotes the tool's result). Recording proxies on both sides of the
 * gateway show what the agent sent and what the provider got and answered, so that every turn is
 * checked against the request log and every charge against the provider's own usage, priced by the
 * test's table.
 *
 * Twice: each agent on its own provider's API (the request reaches the provider as the agent sent
 * it), and each on another provider's model under the same name (translated both ways).
 */

/** Per agent run; a run takes a few seconds (most of it the agent's own start), over ten on a busy machine. */
const AGENT_TIMEOUT_MS = 45_000;
/** A test runs one agent, then reads the log: it outlives the agent's timeout, so the kill is the agent's. */
const TEST_TIMEOUT_MS = AGENT_TIMEOUT_MS + 15_000;
const SECRET = 'pelican-7319';
const AGENTS = [claudeCode, codexCli, geminiCli];

interface Setup {
  name: string;
  translated: boolean;
  channels: (upstream: string) => ChannelInput[];
}

const ownModels = (a: CodingAgent) => a.models;
const mapAll = (a: CodingAgent, to: string) => Object.fromEntries(a.models.map((m) => [m, to]));

const SETUPS: Setup[] = [
  {
    name: "each agent on its own provider's API",
    translated: false,
    channels: (up) => [
      { provider: 'anthropic', name: 'anthropic', baseUrl: up, secret: SIM_KEY, models: ownModels(claudeCode) },
      { provider: 'openai', name: 'openai', baseUrl: `${up}/v1`, secret: SIM_KEY, models: ownModels(codexCli) },
      { provider: 'gemini', name: 'gemini', baseUrl: up, secret: SIM_KEY, models: ownModels(geminiCli) },
    ],
  },
  {
    name: "each agent on another provider's model under its default model's name",
    translated: true,
    channels: (up) => [
      { provider: 'openai', name: 'openai', baseUrl: `${up}/v1`, secret: SIM_KEY, modelMap: { ...mapAll(claudeCode, 'gpt-4o-mini'), ...mapAll(geminiCli, 'gpt-4o-mini') } },
      { provider: 'anthropic', name: 'anthropic', baseUrl: up, secret: SIM_KEY, modelMap: mapAll(codexCli, 'claude-sonnet-4-5') },
    ],
  },
];

/** What one agent run left behind on each side of the gateway. */
interface Session {
  home: AgentHome;
  run: AgentRun;
  answer: string;
  /** Relay calls as the agent sent them (other requests, such as a connectivity probe, left out). */
  sent: Exchange[];
  /** Calls as the provider got and answered them. */
  upstream: Exchange[];
  /** The gateway's request-log rows of the run's user. */
  rows: Row[];
  /** Outside destinations the agent tried (and was refused). */
  egress: string[];
}

interface Row {
  status: number;
  error_code: string | null;
  model_requested: string | null;
  prompt_tokens: number;
  cached_tokens: number;
  completion_tokens: number;
  cost: number;
}

const isRelayCall = (x: Exchange) => x.method === 'POST' && (() => {
  try {
    wireOf(x.url);
    return true;
  } catch {
    return false;
  }
})();

let sink: EgressSink;
beforeAll(async () => {
  sink = await startEgressSink();
});
afterAll(async () => {
  killRunningAgents();
  await sink?.close();
});

describe.each(SETUPS)('coding agents through the gateway: $name', (setup) => {
  let t: TestGateway;
  let ingress: Tap;
  let upstream: Tap;

  beforeAll(async () => {
    upstream = await startTap();
    ingress = await startTap();
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY },
      channels: (sim) => {
        upstream.target = sim.url;
        return setup.channels(upstream.url);
      },
    });
    ingress.target = t.url;
    for (const agent of AGENTS) for (const m of agent.models) await setPrice(t, m, PRICE.input, PRICE.output, { cachedInput: PRICE.cachedInput });
  });
  afterAll(async () => {
    await t?.close();
    await ingress?.close();
    await upstream?.close();
  });

  /** Runs `agent` once on a fresh user and workspace; the prompt is built for that workspace. */
  async function session(agent: CodingAgent, prompt: (home: AgentHome) => string): Promise<Session> {
    const home = throwawayHome(agent.name.split(' ')[0].toLowerCase(), SECRET);
    const user = await t.newUserWithKey();
    await setBalance(t, user.userId, user.cookie, 10_000);
    const marks = { sent: ingress.exchanges.length, upstream: upstream.exchanges.length, egress: sink.attempts.length };
    try {
      const launch = agent.launch(home, { url: ingress.url, key: user.key }, prompt(home));
      const run = await runAgent(launch.command, launch.args, { env: agentEnv(home, sink, launch.env), cwd: home.workspace, timeoutMs: AGENT_TIMEOUT_MS });
      expect(run.code, describeRun(run)).toBe(0);
      const answer = agent.answer(run);
      const up = upstream.exchanges.slice(marks.upstream);
      const rows = await eventually(async () => {
        await t.flushLogs();
        const got = (await t.gw.services.db.selectFrom('request_logs').selectAll().where('user_id', '=', user.userId).execute()) as Row[];
        expect(got.length).toBe(up.length);
        return got;
      });
      return { home, run, answer, sent: ingress.exchanges.slice(marks.sent).filter(isRelayCall), upstream: up, rows, egress: sink.attempts.slice(marks.egress) };
    } catch (err) {
      home.cleanup();
      throw err;
    }
  }

  /**
   * Every turn the agent took reached the provider once and succeeded, its request-log row says so
   * under the model the agent asked for, and each charge is the provider's own usage of that call
   * priced by the test's table (compared as a whole set: the rows' order is not the calls' order).
   */
  async function expectServedAndBilled(agent: CodingAgent, s: Session) {
    expect(s.upstream.length).toBeGreaterThan(0);
    expect(s.sent.length, 'calls the agent made').toBe(s.upstream.length);
    for (const x of [...s.sent, ...s.upstream]) expect(x.status, `${x.url}: ${x.body.slice(0, 300)}`).toBe(200);
    for (const r of s.rows) {
      expect({ status: r.status, error: r.error_code }).toEqual({ status: 200, error: null });
      expect(agent.models).toContain(r.model_requested);
    }
    expect(chargesOf(s.rows)).toEqual(expectedCharges(s.upstream));
    expect((await audit(t)).problems).toEqual([]);
  }

  /** The agent's answer is the provider's last answer (as the agent shows it: trimmed). */
  function expectFinalAnswer(s: Session) {
    const last = textOf(s.upstream.at(-1)!).trim();
    expect(last.length).toBeGreaterThan(0);
    expect(s.answer).toContain(last);
  }

  /** Only Claude Code calls out on its own, and the only call its settings cannot turn off is refused. */
  function expectNoOutsideTraffic(agent: CodingAgent, s: Session) {
    // Claude Code asks api.anthropic.com whether the account opted out of metrics as it exits, with
    // telemetry off and non-essential traffic disabled; nothing else.
    const allowed = agent === claudeCode ? ['api.anthropic.com:443'] : [];
    for (const dest of s.egress) expect(allowed, `${agent.name} tried to reach ${dest}`).toContain(dest);
  }

  /** On the agent's own provider, the gateway passes each request through as sent (the model is the same name). */
  function expectPassedThrough(agent: CodingAgent, s: Session) {
    s.sent.forEach((a, i) => {
      const b = s.upstream[i];
      expect(b.url).toBe(a.url);
      expect(JSON.parse(b.request)).toEqual(JSON.parse(a.request));
      if (agent === claudeCode) {
        // Every beta flag, the version and ?beta=true arrive as Claude Code sent them.
        expect(a.headers['anthropic-beta']).toContain('claude-code-20250219');
        expect({ beta: b.headers['anthropic-beta'], version: b.headers['anthropic-version'] }).toEqual({ beta: a.headers['anthropic-beta'], version: a.headers['anthropic-version'] });
        expect(b.url).toMatch(/\?beta=true$/);
      }
    });
  }

  for (const agent of AGENTS) {
    if (!setup.translated) {
      it(`${agent.name}: a plain prompt — answered, every turn logged and billed exactly`, async () => {
        const reply = `Hello from the simulator behind APIGPT (${agent.name}).`;
        const s = await session(agent, () => `Say hello. [[sim tool=none reply="${reply}"]]`);
        try {
          expect(s.answer.trim()).toBe(reply);
          expectFinalAnswer(s);
          await expectServedAndBilled(agent, s);
          expectPassedThrough(agent, s);
          expectNoOutsideTraffic(agent, s);
        } finally {
          s.home.cleanup();
        }
      }, TEST_TIMEOUT_MS);
    }

    it(`${agent.name}: a tool round trip — the model calls the agent's file tool, the agent runs it, the result goes back, the final answer quotes it`, async () => {
      const s = await session(agent, (home) => `What does ${home.file.name} say? ${agent.readFileDirective(home, setup.translated)}`);
      try {
        // One answer called the tool; the tool's result (the file's text) reached the provider in the
        // agent's next turn, which was its last; and the final answer quotes it.
        const calling = s.upstream.findIndex((x) => toolCallsOf(x).length > 0);
        expect(calling).toBeGreaterThanOrEqual(0);
        expect(toolCallsOf(s.upstream[calling])).toEqual([agent.readFileTool(setup.translated)]);
        expect(calling).toBe(s.upstream.length - 2);
        expect(s.sent.at(-1)!.request).toContain(SECRET);
        expect(s.answer).toContain(SECRET);
        expectFinalAnswer(s);
        await expectServedAndBilled(agent, s);
        if (!setup.translated) expectPassedThrough(agent, s);
        expectNoOutsideTraffic(agent, s);
        if (agent === codexCli && !setup.translated) {
          // Codex keeps no state at the provider (store: false): the reasoning item of the first
          // answer, with its encrypted content, comes back in the next request unchanged.
          const first = payloads(s.upstream[0].body).find((e) => e.type === 'response.completed')!.response.output[0];
          expect(first.type).toBe('reasoning');
          const again = (JSON.parse(s.upstream[1].request).input as { type: string; encrypted_content?: string }[]).find((i) => i.type === 'reasoning');
          expect(again?.encrypted_content).toBe(first.encrypted_content);
        }
      } finally {
        s.home.cleanup();
      }
    }, TEST_TIMEOUT_MS);
  }
});
