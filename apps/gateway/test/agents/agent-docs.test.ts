import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeSamples } from '../../../console/src/lib/codeSamples.js';
import { throwawayHome } from './agent-process.js';
import { claudeCode, codexCli, geminiCli, type CodingAgent } from './agents.js';

/**
 * The README's "Use with …" sections and the console's ready-to-paste samples give the settings the
 * agent tests run the agents with (coding-agents.test.ts): the same variables and config lines, so
 * what the tests prove is what users are told to do.
 */

const BASE = 'http://localhost:3000';
const KEY = 'sk-...';
const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

/** The README section of an agent, up to the next heading of its level or above. */
function section(title: string): string {
  const start = README.indexOf(`### ${title}\n`);
  expect(start, title).toBeGreaterThan(0);
  const rest = README.slice(start + title.length + 5);
  return rest.slice(0, rest.search(/^#{2,3} /m));
}

/** The variables the test's launch of an agent sets. */
function envOf(agent: CodingAgent): Record<string, string> {
  const home = throwawayHome('docs', 'x');
  try {
    return agent.launch(home, { url: BASE, key: KEY }, 'hi').env;
  } finally {
    home.cleanup();
  }
}

const sample = (lang: string) => codeSamples(BASE, KEY, 'gpt-4o-mini').find((s) => s.lang === lang)!.code;

describe('the agents are documented as the tests run them', () => {
  it('Codex CLI: the provider block of config.toml', () => {
    const home = throwawayHome('docs', 'x');
    try {
      codexCli.launch(home, { url: BASE, key: KEY }, 'hi');
      const toml = readFileSync(join(home.home, '.codex', 'config.toml'), 'utf8');
      const provider = toml.slice(toml.indexOf('[model_providers.apigpt]')).split('\n\n')[0].split('\n');
      const lines = ['model_provider = "apigpt"', ...provider];
      for (const line of lines) {
        expect(section('Use with Codex CLI'), line).toMatch(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
        expect(sample('codex'), line).toContain(line);
      }
      expect(sample('codex')).toContain(`export APIGPT_KEY="${KEY}"`);
    } finally {
      home.cleanup();
    }
  });

  it('Claude Code: ANTHROPIC_BASE_URL (the bare origin) and ANTHROPIC_API_KEY', () => {
    const env = envOf(claudeCode);
    for (const name of ['ANTHROPIC_BASE_URL', 'ANTHROPIC_API_KEY']) {
      expect(section('Use with Claude Code')).toContain(`export ${name}=${env[name]}`);
      expect(sample('claude-code')).toContain(`export ${name}="${env[name]}"`);
    }
  });

  it('Gemini CLI: API-key sign-in in settings.json, GOOGLE_GEMINI_BASE_URL and GEMINI_API_KEY', () => {
    const home = throwawayHome('docs', 'x');
    try {
      const launch = geminiCli.launch(home, { url: BASE, key: KEY }, 'hi');
      const json = JSON.parse(readFileSync(join(home.home, '.gemini', 'settings.json'), 'utf8')) as { security: unknown };
      const documented = /```json\n([\s\S]*?)```/.exec(section('Use with Gemini CLI'))![1];
      expect((JSON.parse(documented) as { security: unknown }).security).toEqual(json.security);
      expect(sample('gemini-cli')).toContain('"selectedType": "gemini-api-key"');
      for (const name of ['GOOGLE_GEMINI_BASE_URL', 'GEMINI_API_KEY']) {
        expect(section('Use with Gemini CLI')).toContain(`export ${name}=${launch.env[name]}`);
        expect(sample('gemini-cli')).toContain(`export ${name}="${launch.env[name]}"`);
      }
    } finally {
      home.cleanup();
    }
  });
});
