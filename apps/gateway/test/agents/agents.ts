/**
 * The three coding agents as the repo installs them (exact versions in the root package.json), each
 * configured only as its documentation says a user points it at a gateway — the same settings the
 * README's "Use with …" sections give — plus what keeps a test run private: telemetry, update checks
 * and plugin catalogues off.
 *
 * The default models are those of the pinned versions (what each asks for when the user names no
 * model): the gateway must serve exactly these names.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { AgentHome, AgentRun } from './agent-process.js';

const require = createRequire(import.meta.url);

export interface AgentLaunch {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export interface CodingAgent {
  name: string;
  /** The model names the agent asks for with its defaults; the first is its main model. */
  models: string[];
  /** Writes the agent's config into its HOME and returns how to run `prompt` headless. */
  launch(home: AgentHome, gateway: { url: string; key: string }, prompt: string): AgentLaunch;
  /** The agent's final answer from its output; throws when the output says the run failed. */
  answer(run: AgentRun): string;
  /**
   * The simulator directive that makes the model call the agent's file-reading tool on `home`'s
   * file. `translated`: the provider is another kind than the agent's own, and sees the tool as the
   * gateway offers it there.
   */
  readFileDirective(home: AgentHome, translated: boolean): string;
  /** The name the provider calls that tool by. */
  readFileTool(translated: boolean): string;
}

/** A directive value, quoted as the simulator reads it (no newlines in it). */
const quoted = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const directive = (tool: string, args: string) => `[[sim tool=${tool} args=${quoted(args)}]]`;

export const claudeCode: CodingAgent = {
  name: 'Claude Code',
  // Its default main model, and its small fast model (named by ANTHROPIC_DEFAULT_HAIKU_MODEL's default).
  models: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
  launch(home, gateway, prompt) {
    return {
      command: process.execPath,
      args: [require.resolve('@anthropic-ai/claude-code/cli.js'), '-p', prompt, '--output-format', 'json'],
      env: {
        ANTHROPIC_BASE_URL: gateway.url,
        ANTHROPIC_API_KEY: gateway.key,
        // No telemetry, error reports, update checks or other non-essential calls.
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
        DISABLE_ERROR_REPORTING: '1',
        DISABLE_AUTOUPDATER: '1',
      },
    };
  },
  answer(run) {
    const out = JSON.parse(run.stdout) as { type: string; is_error: boolean; result: string };
    if (out.type !== 'result' || out.is_error) throw new Error(`Claude Code reported a failure: ${run.stdout}`);
    return out.result;
  },
  readFileDirective: (home) => directive('Read', JSON.stringify({ file_path: home.file.path })),
  readFileTool: () => 'Read',
};

// Codex's newer models get their tools in "code mode": one free-form `exec` tool (in the `functions`
// namespace, offered in an `additional_tools` input item) taking JavaScript that calls the other
// tools; reading a file is `tools.exec_command` running `cat`, sandboxed read-only.
const CODEX_READ = "const r = await tools.exec_command({cmd: 'cat notes.txt'}); text(r.output);";

export const codexCli: CodingAgent = {
  name: 'Codex CLI',
  models: ['gpt-6.2-sol'],
  launch(home, gateway, prompt) {
    const dir = join(home.home, '.codex');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'config.toml'),
      [
        'model_provider = "apigpt"',
        'check_for_update_on_startup = false',
        '',
        '[model_providers.apigpt]',
        'name = "APIGPT"',
        `base_url = "${gateway.url}/v1"`,
        'env_key = "APIGPT_KEY"',
        'wire_api = "responses"',
        '',
        '[analytics]',
        'enabled = false',
        '',
        // Plugins sync a curated catalogue from GitHub and chatgpt.com at every start.
        '[features]',
        'plugins = false',
        '',
      ].join('\n'),
    );
    return {
      command: process.execPath,
      args: [require.resolve('@openai/codex/bin/codex.js'), 'exec', '--skip-git-repo-check', '--json', prompt],
      env: { APIGPT_KEY: gateway.key, CODEX_HOME: dir },
    };
  },
  answer(run) {
    const events = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; item?: { type: string; text?: string } });
    const failed = events.find((e) => e.type === 'turn.failed' || e.type === 'error');
    if (failed || !events.some((e) => e.type === 'turn.completed')) throw new Error(`Codex reported a failure: ${run.stdout}`);
    return events
      .filter((e) => e.type === 'item.completed' && e.item?.type === 'agent_message')
      .map((e) => e.item!.text ?? '')
      .join('\n');
  },
  // Translated, the namespaced free-form tool is a function `functions__exec` taking `{input}`.
  readFileDirective: (_home, translated) => (translated ? directive('functions__exec', JSON.stringify({ input: CODEX_READ })) : directive('exec', CODEX_READ)),
  readFileTool: (translated) => (translated ? 'functions__exec' : 'exec'),
};

export const geminiCli: CodingAgent = {
  name: 'Gemini CLI',
  // Without -m it asks a small model to route each prompt, then the flash or the pro model.
  models: ['gemini-3.8-flash', 'gemini-3.5-flash-lite', 'gemini-3.1-pro-preview'],
  launch(home, gateway, prompt) {
    const dir = join(home.home, '.gemini');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'settings.json'),
      JSON.stringify(
        {
          security: { auth: { selectedType: 'gemini-api-key' } },
          privacy: { usageStatisticsEnabled: false },
          telemetry: { enabled: false },
          general: { disableAutoUpdate: true, disableUpdateNag: true },
        },
        null,
        2,
      ),
    );
    return {
      command: process.execPath,
      args: [require.resolve('@google/gemini-cli/bundle/gemini.js'), '-p', prompt, '--output-format', 'json'],
      env: {
        GEMINI_API_KEY: gateway.key,
        GOOGLE_GEMINI_BASE_URL: gateway.url,
        // Headless: trust the workspace (else it stops), and no second Node process for more memory.
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        GEMINI_CLI_NO_RELAUNCH: 'true',
      },
    };
  },
  answer(run) {
    const out = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { response?: string; error?: unknown };
    if (out.error || typeof out.response !== 'string') throw new Error(`Gemini CLI reported a failure: ${run.stdout}`);
    return out.response;
  },
  readFileDirective: (home) => directive('read_file', JSON.stringify({ file_path: home.file.name })),
  readFileTool: () => 'read_file',
};
