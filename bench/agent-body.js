// A coding agent's request as the bench sends it: an agent (Claude Code, Codex CLI, Gemini CLI)
// sends the whole conversation and its tool definitions with every turn, so a long session's
// requests reach hundreds of KB. This one is a chat completion of ~230 KB: a system prompt, 30
// tools with JSON Schema parameters, and turns of source code with Chinese comments, quotes and
// backslashes (escapes and multi-byte UTF-8, as real code has). Built the same way every time.

/** The body (JSON text) of a chat completion for `model`, about `kb` KB long. */
export function agentBody(model, kb = 230) {
  const code = 'function add(a, b) {\n  // 把两个数相加并返回结果\n  return a + b; // "quoted" \\ backslash\n}\n';
  const messages = [{ role: 'system', content: 'You are a coding agent. '.repeat(40) }];
  const tools = Array.from({ length: 30 }, (_, i) => ({
    type: 'function',
    function: {
      name: `tool_${i}`,
      description: 'Does a thing with files and shells. '.repeat(5),
      parameters: { type: 'object', properties: { path: { type: 'string', description: 'a path' }, n: { type: 'integer' } }, required: ['path'] },
    },
  }));
  while (JSON.stringify({ messages, tools }).length < kb * 1024) messages.push({ role: messages.length % 2 ? 'user' : 'assistant', content: code.repeat(20) });
  return JSON.stringify({ model, messages, tools });
}
