/**
 * Records the request sequences of the three coding agents as fixtures for
 * recorded-sequences.test.ts. Run by hand (it starts the real agents, a minute or so):
 *
 *   npx vitest run -c apps/gateway/test/agents/record-fixtures.config.ts
 *
 * Each agent (Claude Code, Codex CLI, Gemini CLI, at the versions the repo pins) runs twice through
 * a recording proxy in front of a gateway whose channel is the agent's own provider (the simulator):
 * a plain prompt, and a tool round trip (the model calls the agent's file tool, the agent runs it and
 * asks again) — the same runs as coding-agents.test.ts. Every agent→gateway relay call is written to
 * apps/gateway/test/fixtures/agents/<agent>.json in order: method, path and query, the headers that
 * shape the call (anthropic-beta, anthropic-version, session and client headers; no credentials),
 * the body, and the opaque values of the answer it got (see recorded.ts). The paths of the throwaway
 * home and of the repo are replaced by fixed ones, and the key never appears.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { startTestGateway } from '../harness.js';
import { setBalance, setPrice } from '../billing/helpers.js';
import { SIM_KEY } from '../dialects/providers.js';
import { agentEnv, describeRun, killRunningAgents, runAgent, startEgressSink, throwawayHome, type AgentHome } from './agent-process.js';
import { claudeCode, codexCli, geminiCli, type CodingAgent } from './agents.js';
import { HOME_PLACEHOLDER, toTurn, type AgentFixture, type RecordedSession } from './recorded.js';
import { PRICE, agentChannels, startTap, wireOf, type Exchange } from './tap.js';

const require = createRequire(import.meta.url);
const SECRET = 'pelican-7319';
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const AGENTS: { agent: CodingAgent; file: string; pkg: string }[] = [
  { agent: claudeCode, file: 'claude-code', pkg: '@anthropic-ai/claude-code' },
  { agent: codexCli, file: 'codex-cli', pkg: '@openai/codex' },
  { agent: geminiCli, file: 'gemini-cli', pkg: '@google/gemini-cli' },
];

const isRelayCall = (x: Exchange) => {
  if (x.method !== 'POST') return false;
  try {
    wireOf(x.url);
    return true;
  } catch {
    return false;
  }
};

function versionOf(pkg: string): string {
  const main = require.resolve(`${pkg}/package.json`);
  return `${pkg}@${(JSON.parse(readFileSync(main, 'utf8')) as { version: string }).version}`;
}

afterAll(() => killRunningAgents());

test('record the agents’ request sequences', async () => {
  const sink = await startEgressSink();
  const upstream = await startTap();
  const ingress = await startTap();
  const t = await startTestGateway({
    simulator: { apiKey: SIM_KEY },
    channels: (sim) => agentChannels(upstream, sim.url, SIM_KEY, { anthropic: claudeCode.models, openai: codexCli.models, gemini: geminiCli.models }),
  });
  ingress.target = t.url;
  try {
    for (const { agent } of AGENTS) for (const m of agent.models) await setPrice(t, m, PRICE.input, PRICE.output, { cachedInput: PRICE.cachedInput });
    for (const { agent, file, pkg } of AGENTS) {
      const sessions: RecordedSession[] = [];
      const prompts: [string, (home: AgentHome) => string][] = [
        ['plain', () => `Say hello. [[sim tool=none reply="Hello from the simulator behind APIGPT (${agent.name})."]]`],
        ['tool', (home) => `What does ${home.file.name} say? ${agent.readFileDirective(home, false)}`],
      ];
      for (const [name, prompt] of prompts) {
        const home = throwawayHome(file.split('-')[0], SECRET);
        const user = await t.newUserWithKey();
        await setBalance(t, user.userId, user.cookie, 10_000);
        const mark = ingress.exchanges.length;
        try {
          const launch = agent.launch(home, { url: ingress.url, key: user.key }, prompt(home));
          const run = await runAgent(launch.command, launch.args, { env: agentEnv(home, sink, launch.env), cwd: home.workspace, timeoutMs: 90_000 });
          expect(run.code, describeRun(run)).toBe(0);
          agent.answer(run);
          const calls = ingress.exchanges.slice(mark).filter(isRelayCall);
          for (const x of calls) expect(x.status, x.body.slice(0, 300)).toBe(200);
          // The home may be reached through a symlinked temp folder: both spellings go.
          const scrub: [string, string][] = [
            [realpathSync(home.home), HOME_PLACEHOLDER],
            [home.home, HOME_PLACEHOLDER],
            // Claude Code names its per-project folder after the path, slashes as dashes.
            [realpathSync(home.home).replace(/\//g, '-'), HOME_PLACEHOLDER.replace(/\//g, '-')],
            [user.key, '<key>'],
            // The agents' own install folder (Gemini CLI lists its bundled skills by path).
            [REPO_ROOT, '/opt/apigpt/'],
          ];
          const turns = calls.map((x) => toTurn(x, scrub));
          expect(JSON.stringify(turns)).not.toContain(user.key);
          expect(JSON.stringify(turns)).not.toContain('apigpt-agent-');
          expect(JSON.stringify(turns)).not.toContain(REPO_ROOT);
          sessions.push({ name, turns });
        } finally {
          home.cleanup();
        }
      }
      const fixture: AgentFixture = { agent: agent.name, recordedWith: versionOf(pkg), sessions };
      writeFileSync(new URL(`../fixtures/agents/${file}.json`, import.meta.url), `${JSON.stringify(fixture, null, 2)}\n`);
    }
  } finally {
    await t.close();
    await ingress.close();
    await upstream.close();
    await sink.close();
  }
});
