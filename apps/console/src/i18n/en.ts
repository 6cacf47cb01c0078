import { supportEn } from './support';
import { onboardingEn } from './onboarding';
import { rechargeEn } from './recharge';

import { auditEn } from './audit';
import { twoFactorEn } from './twofactor';
import { privacyEn } from './privacy';
import { safetyEn } from './safety';
import { modelsEn } from './models';
import { errorsEn } from './errors';

/**
 * English texts. This object defines the key set: zh-CN.ts is typed against it, so a key missing
 * from either dictionary is a compile error. `{name}` marks a value filled in at runtime.
 */
export const en = {
  // The audit log page's texts (i18n/audit.ts).
  ...auditEn,
  // Privacy protection (i18n/privacy.ts).
  ...privacyEn,
  // The content-safety page's texts (i18n/safety.ts).
  ...safetyEn,
  ...rechargeEn,
  // Support tickets, invitations and announcements (i18n/support.ts).
  ...supportEn,
  // The welcome step after sign-up (i18n/onboarding.ts).
  ...onboardingEn,
  // Two-factor sign-in (i18n/twofactor.ts).
  ...twoFactorEn,
  // Models & prices, the samples' model picker (i18n/models.ts).
  ...modelsEn,
  // Server error codes and ledger reasons (i18n/errors.ts).
  ...errorsEn,
  'nav.dashboard': 'Dashboard',
  'nav.integration': 'API Integration',
  'nav.usage': 'Usage logs',
  'nav.topup': 'Top-up',
  'nav.chat': 'AIGC Chat',
  'nav.image': 'Image playground',
  'nav.docs': 'Docs',
  'nav.admin': 'Administration',
  'nav.channels': 'Channels',
  'nav.models': 'Pricing & groups',
  'nav.users': 'Users',
  'nav.codes': 'Redemption codes',
  'nav.allLogs': 'All request logs',
  'nav.settings': 'System settings',
  'nav.menu': 'Menu',

  'common.copy': 'Copy',
  'common.copied': 'Copied',
  'common.copyFailed': 'Could not copy; select the text and copy it by hand.',
  'common.save': 'Save',
  'common.saved': 'Saved',
  'common.delete': 'Delete',
  'common.edit': 'Edit',
  'common.rename': 'Rename',
  'common.refresh': 'Refresh',
  'common.model': 'Model',
  'common.requests': 'Requests',
  'common.cost': 'Cost',
  'common.status': 'Status',
  'common.viewAll': 'View all',
  'common.yes': 'Yes',
  'common.no': 'No',

  'error.notAvailable': 'This feature is not available on this server yet.',
  'error.adminOnly': 'This page is for administrators.',
  'error.pageNotFound': 'There is no page at this address.',
  'error.serviceUnavailable': 'The server cannot reach its database for a moment. Try again in {seconds} seconds.',

  'auth.login': 'Log in',
  'auth.signup': 'Sign up',
  'auth.logout': 'Log out',
  'auth.changePassword': 'Change password',
  'auth.currentPassword': 'Current password',
  'auth.newPassword': 'New password',
  'auth.passwordChanged': 'Password changed. Your other sessions were signed out.',
  'auth.email': 'Email',
  'auth.password': 'Password',
  'auth.confirmPassword': 'Confirm password',
  'auth.displayName': 'Name (optional)',
  'auth.emailRequired': 'Enter your email address.',
  'auth.emailInvalid': 'That does not look like an email address.',
  'auth.passwordRequired': 'Enter a password.',
  'auth.passwordMin': 'Use at least 8 characters.',
  'auth.passwordMismatch': 'The two passwords differ.',
  'auth.loginTagline': 'One key for every AI model. Log in to your console.',
  'auth.signupTagline': 'Create an account: no approval needed, and trial credit is added at once.',
  'auth.signupClosed': 'Sign-up is closed on this server. Ask an administrator for an account.',
  'auth.haveAccount': 'Already have an account?',
  'auth.noAccount': 'No account yet?',
  'auth.loginLocked': 'Too many failed log-ins. For your security, try again in {seconds} seconds.',
  'auth.signupLimited': 'Too many sign-ups from your network. Try again in {seconds} seconds.',

  'auth.signupTaglineMail': 'Create an account: no approval needed. Your trial credit is added once you confirm your email address.',
  'auth.passwordHint': 'At least 8 characters and hard to guess: three or four unrelated words work well.',
  'auth.weakPassword': 'This password is too easy to guess (a common password, a word, a name, a date, a keyboard pattern or part of your email). Use a longer one, for example three or four unrelated words.',
  'auth.forgotPassword': 'Forgot your password?',
  'auth.forgotTitle': 'Reset your password',
  'auth.forgotIntro': 'Enter the email address of your account. We will mail you a link to choose a new password.',
  'auth.sendResetLink': 'Mail me a link',
  'auth.resetSent': 'If an account uses {email}, a link to reset its password is on its way. It works once, within an hour. Look in your spam folder too.',
  'auth.backToLogin': 'Back to log-in',
  'auth.resetTitle': 'Choose a new password',
  'auth.resetIntro': 'Setting a new password signs your account out everywhere else.',
  'auth.resetSubmit': 'Set the new password',
  'auth.resetDone': 'Your password was changed and you are logged in.',
  'auth.resetNoToken': 'Open this page with the link in the reset mail.',
  'auth.resetLinkInvalid': 'This reset link no longer works: it was used, replaced by a newer one, or has expired. Ask for a new one.',
  'auth.revokeKeys': 'Also revoke all my API keys (if one may have leaked)',
  'auth.keysRevoked': 'API keys revoked: {n}.',
  'auth.verifyTitle': 'Confirm your email address',
  'auth.verifying': 'Confirming your email address…',
  'auth.verified': 'Your email address is confirmed.',
  'auth.verifiedOpened': 'Your email address is confirmed and your trial credit has been added.',
  'auth.verifyLinkInvalid': 'This confirmation link no longer works: it was used or has expired. Log in and ask for a new one.',
  'auth.goToConsole': 'Go to the console',
  'auth.verifyBanner': 'Confirm your email address: we sent a link to {email}. Your trial credit is added as soon as you follow it.',
  'auth.resend': 'Send the link again',
  'auth.resent': 'A new link is on its way to {email}.',
  'auth.emailConfirmed': 'Your email address is confirmed already.',
  'auth.mailLimited': 'Too many mails were asked for. Try again in {seconds} seconds.',
  'auth.mailOff': 'This server sends no mail. Ask an administrator to reset your password.',
  'dashboard.title': 'Dashboard',
  'dashboard.hello': 'Welcome back, {name}.',
  'dashboard.welcome': 'Your account is ready: {amount} of trial credit has been added.',
  'dashboard.lowBalance': 'Your balance ({balance}) fell below your reminder threshold of {threshold}.',
  'dashboard.welcomePending': 'Your account is ready. Follow the link we sent to {email} to confirm your address and receive your trial credit.',
  'dashboard.balance': 'Balance',
  'dashboard.topUp': 'Top up →',
  'dashboard.spend30': 'Spend (30 days)',
  'dashboard.requests30': 'Requests (30 days)',
  'dashboard.errors30': 'Errors (30 days)',
  'dashboard.groupInfo': 'Group {group} · price ×{m}',
  'dashboard.chartTitle': 'Spend and requests, last 30 days',
  'dashboard.topModels': 'Top models',
  'dashboard.noModels': 'No model used yet.',
  'dashboard.recentErrors': 'Recent errors',
  'dashboard.noErrors': 'No failed requests. Errors will show up here with their reason.',
  'dashboard.noUsage': 'No calls yet. Three steps to your first one:',
  'dashboard.step1': 'Create an app and copy its API key',
  'dashboard.step2': 'Or try a model right away in AIGC Chat',
  'dashboard.step3': 'Redeem a code when you need more credit',
  'dashboard.createApp': 'Create my first app',

  'integration.title': 'API Integration',
  'integration.subtitle': 'Apps group your API keys. Every call is billed to the key that made it.',
  'integration.createApp': 'Create app',
  'integration.editApp': 'Edit app',
  'integration.endpoint': 'Endpoint and examples',
  'integration.baseUrl': 'Base URL (OpenAI-compatible)',
  'integration.editorTitle': 'AGIEditor: AI writing in your own pages',
  'integration.editorHelp': "An embeddable rich-text editor with AI writing and image generation: one script tag and one <agi-editor> element. Give it a key limited to your page's origin, models, a credit limit and an RPM (Limits on the key below).",
  'integration.editorDemo': 'Open the editor demo',
  'integration.empty': 'No apps yet. Create one to get an API key.',
  'integration.newKey': 'New key',
  'integration.noKeys': 'This app has no keys. Create one with "New key".',
  'integration.playgroundApp': 'used by the playgrounds',
  'integration.playgroundNoKeys': 'The playgrounds use your login, not a key. Their usage is billed here.',
  'integration.deleteConfirm': 'Delete this app?',
  'integration.deleteHelp': 'All its keys stop working at once.',
  'integration.appName': 'App name',
  'integration.appNamePlaceholder': 'e.g. My chatbot',
  'integration.appNameRequired': 'Give the app a name.',
  'integration.appDescription': 'Description',

  'keys.revealTitle': 'Your new API key',
  'keys.revealWarning': 'Copy this key now. It is shown only once: the server stores just a fingerprint of it.',
  'keys.revealDone': 'I have saved it',
  'keys.tryIt': 'Try it:',
  'keys.defaultName': 'key {n}',
  'keys.name': 'Name',
  'keys.nameRequired': 'Give the key a name.',
  'keys.key': 'Key',
  'keys.active': 'Active',
  'keys.revoked': 'Revoked',
  'keys.expired': 'Expired',
  'keys.spent': 'Spent / limit',
  'keys.limits': 'Limits',
  'keys.noLimits': 'None',
  'keys.lastUsed': 'Last used',
  'keys.never': 'Never',
  'keys.editLimits': 'Name and limits',
  'keys.revoke': 'Revoke',
  'keys.revokeConfirm': 'Revoke this key?',
  'keys.revokeHelp': 'Calls with it fail at once. This cannot be undone.',
  'keys.revokedMsg': 'Key revoked.',
  'keys.limitsTitle': 'Key "{name}"',
  'keys.creditLimit': 'Credit limit',
  'keys.creditLimitHelp': 'The most this key may spend in total. Spent so far: {spent} P.',
  'keys.unlimited': 'No limit',
  'keys.expiresAt': 'Expires',
  'keys.currentExpiry': 'Currently expires {when}. Pick a new date to change it, or clear the field to remove it.',
  'keys.neverExpires': 'Leave empty for a key that never expires.',
  'keys.models': 'Allowed models',
  'keys.modelsHelp': 'Empty allows every model your account may use.',
  'keys.allModels': 'All models',
  'keys.ips': 'Allowed IP addresses',
  'keys.ipsHelp': 'One address or CIDR range per line. Empty allows any.',
  'keys.origins': 'Allowed web origins',
  'keys.originsHelp': 'For keys used from a browser. One origin per line. Empty allows any.',
  'keys.rateLimits': 'Rate limits (per minute)',
  'keys.tagModels': '{n} models',
  'keys.tagIps': '{n} IPs',
  'keys.tagOrigins': '{n} origins',
  'keys.tagExpires': 'until {when}',

  'logs.title': 'Usage logs',
  'logs.subtitle': 'Every request made with your keys or in the playgrounds.',
  'logs.range.24h': 'Last 24 hours',
  'logs.range.7d': 'Last 7 days',
  'logs.range.30d': 'Last 30 days',
  'logs.range.90d': 'Last 90 days',
  'logs.range.all': 'All time',
  'logs.range.custom': 'Custom range',
  'logs.app': 'App',
  'logs.key': 'Key',
  'logs.user': 'User',
  'logs.userId': 'User ID',
  'logs.ok': 'Succeeded',
  'logs.error': 'Failed',
  'logs.export': 'Export CSV',
  'logs.exporting': 'Exporting… {n} rows',
  'logs.exportFailed': 'The export stopped: {message}',
  'logs.totalRequests': 'Requests',
  'logs.totalErrors': 'Errors',
  'logs.totalTokens': 'Tokens',
  'logs.totalCost': 'Cost',
  'logs.capped': 'Totals cover the newest {n} requests only; narrow the filter for exact figures.',
  'logs.empty': 'No requests match. Make a call with one of your keys, or widen the time range.',
  'logs.count': 'Total: {n}',
  'logs.time': 'Time',
  'logs.tokens': 'Tokens in / out',
  'logs.latency': 'Latency',
  'logs.requestId': 'Request ID',
  'logs.endpoint': 'Endpoint',
  'logs.modelSent': 'Model sent upstream',
  'logs.channel': 'Channel',
  'logs.stream': 'Streamed',
  'logs.ttft': 'Time to first token',
  'logs.cached': 'Cached tokens',
  'logs.reasoning': 'Reasoning tokens (part of the output)',
  'logs.reasoningShort': 'of which reasoning {n}',
  'logs.units': 'Other units',
  'logs.unit.images': '{n} images',
  'logs.unit.characters': '{n} characters',
  'logs.unit.seconds': '{duration} of audio ({n} s)',
  'logs.unit.searches': '{n} searches',
  'logs.attempts': 'Attempts',
  'logs.errorDetail': 'Error',

  'topup.title': 'Top-up',
  'topup.subtitle': 'Add credit with a redemption code and see every change to your balance.',
  'topup.redeemTitle': 'Redeem a code',
  'topup.codePlaceholder': 'Paste your code',
  'topup.codeRequired': 'Enter a code.',
  'topup.redeem': 'Redeem',
  'topup.redeemHelp': 'Codes come from your administrator or reseller. Each works once.',
  'topup.redeemed': '{amount} added. New balance: {balance}.',
  'topup.lowBalance': 'Warn me when my balance falls below',
  'topup.lowBalanceOff': 'No warning',
  'topup.ledger': 'Ledger',
  'topup.ledgerEmpty': 'No balance changes yet.',
  'topup.kind': 'Type',
  'topup.amount': 'Amount',
  'topup.balanceAfter': 'Balance after',
  'topup.reason': 'Reason',
  'ledger.trial': 'Trial',
  'ledger.topup': 'Top-up',
  'ledger.redeem': 'Code',
  'ledger.charge': 'Charge',
  'ledger.refund': 'Refund',
  'ledger.adjust': 'Adjustment',

  'chat.title': 'AIGC Chat',
  'chat.subtitle': 'Talk to any model on this server. Billed to your Playground app.',
  'chat.pickModel': 'Pick a model',
  'chat.noModels': 'No chat model is available to your account yet. An administrator needs to add a channel.',
  'chat.new': 'New chat',
  'chat.history': 'Chats',
  'chat.noHistory': 'No chats yet',
  'chat.untitled': 'New chat',
  'chat.deleteConfirm': 'Delete this chat?',
  'chat.settings': 'Parameters',
  'chat.settingsAfterStart': 'Start a chat to set its system prompt and parameters.',
  'chat.empty': 'Ask anything. Answers stream in as they are written; press Stop to cut one short.',
  'chat.placeholder': 'Message (Enter to send, Shift+Enter for a new line)',
  'chat.send': 'Send',
  'chat.stop': 'Stop',
  'chat.stopped': 'stopped',
  'chat.thinking': 'Thinking…',
  'chat.tokens': '{in} in · {out} out tokens',
  'chat.system': 'System prompt',
  'chat.systemPlaceholder': 'e.g. You are a concise assistant that answers in English.',
  'chat.temperature': 'Temperature',
  'chat.topP': 'Top P',
  'chat.maxTokens': 'Max output tokens',
  'chat.modelDefault': "Model's default",
  'chat.presencePenalty': 'Presence penalty',
  'chat.frequencyPenalty': 'Frequency penalty',
  'chat.answeredBy': 'The model that answered',
  'chat.edit': 'Edit',
  'chat.editMessage': 'Edit your message',
  'chat.editSend': 'Ask again from here',
  'chat.editCancel': 'Cancel',
  'chat.regenerate': 'Regenerate',

  'image.title': 'Image playground',
  'image.subtitle': 'Generate images from text. Billed to your Playground app.',
  'image.modelHelp': 'Image models your account may use.',
  'image.noModels': 'No image model is available to your account on this server.',
  'image.noImages': 'The server answered without any image. Try again, or another model.',
  'image.defaultModel': 'Server default',
  'image.prompt': 'Prompt',
  'image.promptPlaceholder': 'A watercolor fox in a snowy forest, morning light',
  'image.promptRequired': 'Describe the image you want.',
  'image.negative': 'Negative prompt',
  'image.negativePlaceholder': 'What to keep out: blurry, text, watermark',
  'image.size': 'Size',
  'image.count': 'Count',
  'image.steps': 'Steps',
  'image.stepsHelp': 'More steps: finer detail, slower (Stable Diffusion models).',
  'image.generate': 'Generate',
  'image.results': 'Results',
  'image.working': 'Generating… {s} s',
  'image.empty': 'Your images will appear here. Describe one on the left and press Generate.',
  'image.download': 'Download',
  'image.lastCost': 'Last batch: {cost}',
  'image.notAvailable': 'Image generation is not enabled on this server yet. Ask your administrator, or try again after the next update.',

  'docs.title': 'Docs',
  'docs.subtitle': 'How to use this gateway, and the full API reference.',
  'docs.apiReference': 'API reference',
  'docs.quickStart': 'Quick start',
  'docs.quickStartBody': `1. Open **API Integration** and create an app. Copy the key it shows: it is shown only once.
2. Point any OpenAI client at \`{baseUrl}/v1\` with that key:

\`\`\`bash
curl {baseUrl}/v1/chat/completions \\
  -H "Authorization: Bearer sk-..." -H "Content-Type: application/json" \\
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'
\`\`\`

3. Watch the call appear in **Usage logs** with its tokens and cost.`,
  'docs.providers': 'Providers',
  'docs.providersBody': `Administrators connect upstream **channels**: OpenAI, Azure OpenAI, Anthropic Claude, Google Gemini, Zhipu ChatGLM, Stable Diffusion, Cohere and Jina AI (rerank), or any OpenAI-compatible server (Ollama, vLLM). You never see their keys: you call the gateway with yours, and it picks a healthy channel that serves the model, retrying on another when one fails before the answer starts.

The models your account may use are listed in the chat playground and at \`GET /v1/models\`.`,
  'docs.dialects': 'API dialects',
  'docs.dialectsBody': `The gateway speaks three wire formats, so each official SDK works by changing only its base URL and key:

| dialect | endpoints | base URL |
| --- | --- | --- |
| OpenAI | \`/v1/chat/completions\`, \`/v1/completions\`, \`/v1/embeddings\`, \`/v1/images/generations\`, \`/v1/models\` | \`{baseUrl}/v1\` |
| Anthropic | \`/v1/messages\` (key in \`x-api-key\`) | \`{baseUrl}\` |
| Gemini | \`/v1beta/models/{model}:generateContent\` (key in \`x-goog-api-key\`) | \`{baseUrl}\` |

Any model can be called through any dialect: the gateway translates.`,
  'docs.sdks': 'SDKs',
  'docs.sdksBody': `- **OpenAI SDK** (Python, Node, others): \`base_url="{baseUrl}/v1"\`.
- **Anthropic SDK**: \`base_url="{baseUrl}"\`.
- **Google Gen AI SDK**: set the HTTP base URL to \`{baseUrl}\`.
- **aigccloud** (Python 3.9+, standard library only, with a command line) and **@apigpt/sdk** (TypeScript, for Node and browsers), from the APIGPT repository: one client for every model and modality, and your account — balance, usage, your key's calls, redeeming codes, models with their prices:

\`\`\`python
from aigccloud import Client
client = Client(api_key="sk-...", base_url="{baseUrl}")
\`\`\`

\`\`\`js
import { APIGPT } from '@apigpt/sdk';
const client = new APIGPT({ apiKey: 'sk-...', baseURL: '{baseUrl}' });
\`\`\`

Ready-to-paste examples with your own key are on the **API Integration** page.`,
  'docs.agents': 'Coding agents',
  'docs.agentsBody': `Claude Code, Codex CLI and Gemini CLI work through the gateway with your key, on any model it serves (Claude, GPT, Gemini or another: the gateway translates). Each asks for its own default models unless you name one (below \`gpt-4o-mini\`: any model of your list works). Ready-to-paste versions with your key are on the **API Integration** page.

**Codex CLI** — \`~/.codex/config.toml\`, then \`export APIGPT_KEY=sk-...\` and run \`codex\`:

\`\`\`toml
model = "gpt-4o-mini"
model_provider = "apigpt"

[model_providers.apigpt]
name = "APIGPT"
base_url = "{baseUrl}/v1"
env_key = "APIGPT_KEY"
wire_api = "responses"
\`\`\`

**Claude Code** — its base URL is the bare address (it adds \`/v1/messages\`):

\`\`\`bash
export ANTHROPIC_BASE_URL={baseUrl}
export ANTHROPIC_API_KEY=sk-...
export ANTHROPIC_MODEL=gpt-4o-mini                 # default: claude-sonnet-4-6
export ANTHROPIC_DEFAULT_HAIKU_MODEL=gpt-4o-mini   # default: claude-haiku-4-5
claude
\`\`\`

**Gemini CLI** — choose API-key sign-in in \`~/.gemini/settings.json\` (\`{"security": {"auth": {"selectedType": "gemini-api-key"}}}\`), then:

\`\`\`bash
export GOOGLE_GEMINI_BASE_URL={baseUrl}
export GEMINI_API_KEY=sk-...
gemini -m gpt-4o-mini      # without -m it routes between its own flash-lite, flash and pro models
\`\`\`

Every turn an agent takes is a call in **Usage logs**, billed like any other; prompt-cache reads and writes are priced as the provider prices them.`,
  'docs.errors': 'Errors',
  'docs.errorsBody': `Errors come in the shape of the dialect you called. For the OpenAI dialect and this console's API:

\`\`\`json
{"error": {"message": "…", "type": "…", "param": null, "code": "…"}}
\`\`\`

| status | meaning | what to do |
| --- | --- | --- |
| 400 | the request is malformed | read \`message\` and \`param\` |
| 401 | missing or wrong key | check the key; it may have been revoked |
| 403 | the model, IP or origin is not allowed for this key or group, or the model has no price | check the key's limits, or ask an administrator |
| 404 | unknown model or route | list models with \`GET /v1/models\` |
| 429 | rate limit (\`rate_limit_exceeded\`), or not enough credit (\`insufficient_quota\`) | wait for \`Retry-After\` seconds; for credit, top up (retrying does not help) |
| 5xx | upstream failure | retry later; the gateway already tried other channels |`,
  'docs.billing': 'Billing',
  'docs.billingBody': `Credit is counted in points (P). New accounts get a trial grant; more comes from redemption codes (**Top-up**).

A call's cost = the model's price (per 1K input and output tokens, or per image) × your group's multiplier. Before a call the gateway reserves its worst case (prompt + max output), then charges the real usage and releases the rest; a failed call costs nothing. Every change of balance is a line in your **ledger**.

Each key can carry its own credit limit, expiry, model list, IP and origin lists, and RPM/TPM limits.`,

  'channels.subtitle': 'Upstream providers. Higher priority numbers are tried first; weights share traffic inside a priority.',
  'channels.create': 'Add channel',
  'channels.edit': 'Edit channel {name}',
  'channels.empty': 'No channels: no model can be called yet. Add one for your provider.',
  'channels.name': 'Name',
  'channels.nameRequired': 'Give the channel a name.',
  'channels.provider': 'Provider',
  'channels.baseUrl': 'Base URL',
  'channels.baseUrlRequired': "Enter the provider's base URL.",
  'channels.baseUrlInvalid': 'Enter a full URL such as https://api.openai.com/v1.',
  'channels.secret': 'API key / secret',
  'channels.secretKeep': 'A secret is stored. Leave empty to keep it.',
  'channels.secretRequired': 'This provider needs a key.',
  'channels.models': 'Models',
  'channels.modelsHelp': 'One per line: the model names this channel serves.',
  'channels.modelMap': 'Model name mapping',
  'channels.modelMapHelp': 'One "public=upstream" pair per line, e.g. for Azure deployment names.',
  'channels.groups': 'User groups',
  'channels.groupsHelp': 'Comma-separated. Empty serves every group.',
  'channels.priority': 'Priority',
  'channels.priorityHelp': 'Higher is tried first',
  'channels.weight': 'Weight',
  'channels.weightHelp': 'Share within a priority',
  'channels.enabledCol': 'Enabled',
  'channels.anyModel': '(none)',
  'channels.health': 'Health',
  'channels.simulated': 'simulated',
  'channels.lastTest': 'Last test',
  'channels.promptCache': 'Prompt cache (24 h)',
  'channels.promptCacheHelp': 'Share of prompt tokens the provider read from its prompt cache over the last 24 hours. Calls of one session stay on one channel so its cached prompt is reused.',
  'channels.promptCacheDetail': '{cached} of {prompt} prompt tokens read from the cache, {written} written to it · {calls} calls',
  'channels.promptCacheNone': 'No prompts in the last 24 hours',
  'channels.test': 'Test',
  'channels.testing': 'Testing…',
  'channels.testOk': 'OK · {ms} ms',
  'channels.testFail': 'Failed ({status})',
  'channels.deleteConfirm': 'Delete this channel?',
  'channels.healthy': 'Healthy',
  'channels.healthyFailures': 'Healthy · {n} recent failures',
  'channels.resting': 'Resting until {time}',
  'channels.restingHelp': 'The circuit opened after repeated failures ({failures} in a row, opened {trips} times without a passing probe). No calls go to this channel until then; after that one probe call tries it.',
  'channels.probing': 'Probing',
  'channels.probingHelp': 'The rest period is over: the next call (or the background probe) decides whether the channel is back.',
  'channels.disabledByHealth': 'Disabled by health check',
  'channels.disabledByHealthHelp': 'The circuit kept opening, so the gateway turned this channel off. It comes back by itself when a background probe passes (or press "Check health now").',
  'channels.disabledByAdmin': 'Disabled by admin',
  'channels.disabledByAdminHelp': 'An administrator turned this channel off; it stays off until someone turns it on.',
  'channels.checkNow': 'Check health now',
  'channels.checkNowHelp': 'Probes every resting or health-disabled channel now; channels that pass come back into service.',
  'channels.checkDone': 'Health check finished.',
  'channels.checkFailed': 'The health check could not run: {message}',
  'channels.history': 'Health history',
  'channels.historyTitle': 'Health history of {name}',
  'channels.healthCounts': '{failures} failures in a row · circuit opened {trips} times in a row',
  'channels.noEvents': 'Nothing has happened to this channel yet: no circuit changes, probes or enable / disable.',
  'channels.eventTime': 'Time',
  'channels.eventKind': 'Event',
  'channels.eventDetail': 'Detail',
  'channels.event.circuit_open': 'Circuit opened',
  'channels.event.circuit_half_open': 'Probing',
  'channels.event.circuit_closed': 'Circuit closed',
  'channels.event.auto_disabled': 'Disabled automatically',
  'channels.event.auto_enabled': 'Re-enabled automatically',
  'channels.event.probe_ok': 'Probe passed',
  'channels.event.probe_failed': 'Probe failed',
  'channels.event.admin_disabled': 'Disabled by admin',
  'channels.event.admin_enabled': 'Enabled by admin',
  'channels.firstByteTimeout': 'First-byte timeout',
  'channels.firstByteTimeoutHelp': 'How long to wait for the provider to start answering.',
  'channels.idleTimeout': 'Idle timeout',
  'channels.idleTimeoutHelp': 'Longest silence allowed in the middle of a stream.',
  'channels.seconds': 's',
  'channels.serverDefault': 'Server default',

  'models.subtitle': 'Prices are in P per 1K tokens, per image, per 1K characters (speech), per second of audio (transcription) or per 1K searches (rerank). Group multipliers scale them per user group.',
  'models.prices': 'Model prices',
  'models.addPrice': 'Set a price',
  'models.editPrice': 'Price of {model}',
  'models.empty': 'No models yet. Add a channel first, then price its models.',
  'models.input': 'Input',
  'models.output': 'Output',
  'models.cached': 'Cached input',
  'models.perImage': 'Per image',
  'models.perKChars': 'Per 1K characters',
  'models.perSecond': 'Per second of audio',
  'models.perKSearches': 'Per 1K searches',
  'models.perMinute': '= {value} P per minute',
  'models.perMinuteShort': '({value} / min)',
  'models.deleteConfirm': "Remove this model's price?",
  'models.unitHelp': 'P per 1K tokens; "Per image" for image models, "Per 1K characters" for speech, "Per second of audio" for transcription, "Per 1K searches" for rerank. Empty means not charged by that unit.',
  'models.maxOutput': 'Max output tokens',
  'models.maxOutputHelp': 'Reserved as the worst case when a call sets no max_tokens.',
  'models.groups': 'User groups',
  'models.group': 'Group',
  'models.multiplier': 'Multiplier',
  'models.noGroups': 'Only the default group exists.',
  'models.newGroup': 'New group name',

  'users.subtitle': 'Accounts on this server.',
  'users.search': 'Search email or name',
  'users.empty': 'No users yet.',
  'users.noMatch': 'No user matches this search.',
  'users.role': 'Role',
  'users.roleUser': 'User',
  'users.roleAdmin': 'Admin',
  'users.active': 'Active',
  'users.disabled': 'Disabled',
  'users.joined': 'Joined',
  'users.credit': 'Credit',
  'users.disable': 'Disable',
  'users.enable': 'Enable',
  'users.disableConfirm': 'Disable this account? Its keys stop working and it cannot log in.',
  'users.creditTitle': 'Adjust credit of {email}',
  'users.amount': 'Amount',
  'users.amountHelp': 'Positive to grant, negative to deduct.',
  'users.amountRequired': 'Enter a non-zero amount.',
  'users.reasonRequired': 'Say why: the user sees it in their ledger.',
  'users.creditDone': 'Done. New balance: {balance}.',

  'codes.subtitle': 'Generate codes worth credit; users redeem them on the Top-up page.',
  'codes.generate': 'Generate codes',
  'codes.generated': '{n} codes generated.',
  'codes.batchTitle': '{n} new codes',
  'codes.exportCsv': 'Export CSV',
  'codes.exportPage': 'Export this page',
  'codes.count': 'How many',
  'codes.value': 'Value',
  'codes.name': 'Batch name',
  'codes.nameHelp': 'To recognise the batch later, e.g. "Spring promotion".',
  'codes.expires': 'Expires',
  'codes.never': 'Never',
  'codes.code': 'Code',
  'codes.redeemedBy': 'Redeemed by',
  'codes.empty': 'No codes here. Generate a batch to hand out credit.',
  'codes.status.all': 'All',
  'codes.status.unused': 'Unused',
  'codes.status.used': 'Used',
  'codes.status.expired': 'Expired',

  'admin.logsSubtitle': "Every user's requests. Filter by user ID to follow one account.",

  'settings.subtitle': 'Server-wide settings.',
  'settings.signupEnabled': 'Open sign-up',
  'settings.signupHelp': 'When off, only administrators can create accounts.',
  'settings.trialCredit': 'Trial credit for new accounts',
  'settings.trialHelp': 'Granted once, at sign-up.',
  'settings.lowBalanceDefault': 'Default low-balance warning',
  'settings.lowBalanceHelp': 'Users are warned below this balance unless they set their own threshold.',
  'settings.affinityTtl': 'Prompt-cache session stickiness',
  'settings.affinityTtlHelp': 'How long a session (prompt_cache_key, a coding agent\'s session) stays on the channel holding its prompt cache after its last call. Match it to the longest cache lifetime your callers use (Anthropic: 5 minutes or 1 hour).',
} satisfies Record<string, string>;

export type MessageKey = keyof typeof en;
