/** Ready-to-paste snippets for every client the gateway speaks to, filled with this server's URL. */
export type SampleLang = 'curl' | 'python' | 'node' | 'anthropic' | 'aigccloud' | 'sdk' | 'codex' | 'claude-code' | 'gemini-cli' | 'curl-image' | 'curl-embedding';

/** The chat samples' model when the account has no chat model yet (a name, not a promise it works). */
export const PLACEHOLDER_MODEL = 'gpt-4o-mini';

export interface Sample {
  lang: SampleLang;
  label: string;
  /** highlight.js language name */
  syntax: string;
  code: string;
}

/** The chat samples; `model` must be a chat model (`capability: 'chat'` in /api/models). */
export function codeSamples(baseUrl: string, key: string, model: string): Sample[] {
  const v1 = `${baseUrl}/v1`;
  return [
    {
      lang: 'curl',
      label: 'curl',
      syntax: 'bash',
      code: `curl ${v1}/chat/completions \\
  -H "Authorization: Bearer ${key}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "${model}",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`,
    },
    {
      lang: 'python',
      label: 'Python (OpenAI SDK)',
      syntax: 'python',
      code: `# pip install openai
from openai import OpenAI

client = OpenAI(api_key="${key}", base_url="${v1}")
reply = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(reply.choices[0].message.content)`,
    },
    {
      lang: 'node',
      label: 'Node.js (OpenAI SDK)',
      syntax: 'javascript',
      code: `// npm install openai
import OpenAI from 'openai';

const client = new OpenAI({ apiKey: '${key}', baseURL: '${v1}' });
const reply = await client.chat.completions.create({
  model: '${model}',
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(reply.choices[0].message.content);`,
    },
    {
      lang: 'anthropic',
      label: 'Anthropic SDK',
      syntax: 'python',
      // The Anthropic SDK appends /v1/messages itself, so its base URL is the bare origin.
      code: `# pip install anthropic
import anthropic

client = anthropic.Anthropic(api_key="${key}", base_url="${baseUrl}")
message = client.messages.create(
    model="${model}",
    max_tokens=1024,
    messages=[{"role": "user", "content": "Hello!"}],
)
print(message.content[0].text)`,
    },
    {
      lang: 'aigccloud',
      label: 'aigccloud (Python)',
      syntax: 'python',
      // The gateway's own SDKs take the bare origin: they add /v1 (and /api for the account) themselves.
      code: `# pip install ./python/aigccloud   (from the APIGPT repository; standard library only)
from aigccloud import Client

client = Client(api_key="${key}", base_url="${baseUrl}")
reply = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(reply.choices[0].message.content)
print(client.account.balance().balance, "P left")`,
    },
    {
      lang: 'sdk',
      label: '@apigpt/sdk (TypeScript)',
      syntax: 'javascript',
      code: `// npm install ./packages/sdk   (from the APIGPT repository; no dependencies)
import { APIGPT } from '@apigpt/sdk';

const client = new APIGPT({ apiKey: '${key}', baseURL: '${baseUrl}' });
const reply = await client.chat.completions.create({
  model: '${model}',
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(reply.choices[0].message.content);
console.log((await client.account.balance()).balance, 'P left');`,
    },
    // The coding agents, configured as the README's "Use with …" sections say (the settings the
    // gateway's tests run them with), on a model this account may use.
    {
      lang: 'codex',
      label: 'Codex CLI',
      syntax: 'ini',
      code: `# ~/.codex/config.toml
model = "${model}"
model_provider = "apigpt"

[model_providers.apigpt]
name = "APIGPT"
base_url = "${v1}"
env_key = "APIGPT_KEY"
wire_api = "responses"

# then, in a shell:
#   export APIGPT_KEY="${key}"
#   codex`,
    },
    {
      lang: 'claude-code',
      label: 'Claude Code',
      syntax: 'bash',
      // Claude Code adds /v1/messages itself: its base URL is the bare origin.
      code: `export ANTHROPIC_BASE_URL="${baseUrl}"
export ANTHROPIC_API_KEY="${key}"
export ANTHROPIC_MODEL="${model}"                 # or serve claude-sonnet-4-6, its default
export ANTHROPIC_DEFAULT_HAIKU_MODEL="${model}"   # its small background model (default claude-haiku-4-5)
claude`,
    },
    {
      lang: 'gemini-cli',
      label: 'Gemini CLI',
      syntax: 'bash',
      code: `# ~/.gemini/settings.json: { "security": { "auth": { "selectedType": "gemini-api-key" } } }
export GOOGLE_GEMINI_BASE_URL="${baseUrl}"
export GEMINI_API_KEY="${key}"
gemini -m ${model}`,
    },
  ];
}

/** An image generation, on an image model. */
export function imageSample(baseUrl: string, key: string, model: string): Sample {
  return {
    lang: 'curl-image',
    label: 'Images (curl)',
    syntax: 'bash',
    code: `curl ${baseUrl}/v1/images/generations \\
  -H "Authorization: Bearer ${key}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "${model}",
    "prompt": "A lighthouse at dawn, watercolor",
    "size": "1024x1024",
    "response_format": "url"
  }'`,
  };
}

/** An embedding, on an embedding model. */
export function embeddingSample(baseUrl: string, key: string, model: string): Sample {
  return {
    lang: 'curl-embedding',
    label: 'Embeddings (curl)',
    syntax: 'bash',
    code: `curl ${baseUrl}/v1/embeddings \\
  -H "Authorization: Bearer ${key}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "${model}",
    "input": "The food was delicious."
  }'`,
  };
}
