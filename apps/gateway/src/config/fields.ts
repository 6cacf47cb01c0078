/**
 * Every setting, once: its environment variable, its `apigpt.yaml` key, how to parse it and what it
 * does. The loader, the validation messages and the README's table all come from this list.
 */
export type FieldType = 'string' | 'url' | 'int' | 'bool' | 'bytes' | 'list';

export interface FieldSpec {
  key: string; // apigpt.yaml key and Config property
  env: string;
  type: FieldType;
  default?: string | number | boolean | string[];
  min?: number;
  max?: number;
  doc: string;
  secret?: boolean;
}

export const FIELDS = [
  { key: 'port', env: 'PORT', type: 'int', default: 3000, min: 0, max: 65535, doc: 'HTTP port of the gateway and console' },
  { key: 'host', env: 'APIGPT_HOST', type: 'string', default: '0.0.0.0', doc: 'Address to listen on' },
  { key: 'dataDir', env: 'APIGPT_DATA_DIR', type: 'string', default: './data', doc: 'Folder for the SQLite database, the master key file and stored images' },
  { key: 'databaseUrl', env: 'DATABASE_URL', type: 'url', doc: 'PostgreSQL URL (`postgres://...`); when unset, SQLite in the data folder is used', secret: true },
  { key: 'databaseSchema', env: 'APIGPT_DATABASE_SCHEMA', type: 'string', doc: 'PostgreSQL schema to use (created if missing); default `public`' },
  { key: 'redisUrl', env: 'REDIS_URL', type: 'url', doc: 'Redis URL for shared state across several gateway processes', secret: true },
  { key: 'redisPrefix', env: 'APIGPT_REDIS_PREFIX', type: 'string', default: 'apigpt:', doc: 'Prefix of every Redis key this gateway writes' },
  { key: 'publicUrl', env: 'APIGPT_PUBLIC_URL', type: 'url', doc: 'Public base URL shown in examples and signed links (default `http://localhost:PORT`)' },
  { key: 'secret', env: 'APIGPT_SECRET', type: 'string', doc: 'Master secret that encrypts provider keys at rest; when unset a random key file `master.key` (mode 0600) is created in the data folder', secret: true },
  { key: 'adminEmail', env: 'APIGPT_ADMIN_EMAIL', type: 'string', default: 'admin@apigpt.local', doc: 'Email of the root admin created at first start' },
  { key: 'adminPassword', env: 'APIGPT_ADMIN_PASSWORD', type: 'string', doc: 'Password of the root admin; when unset one is generated and printed once at first start', secret: true },
  { key: 'rootToken', env: 'APIGPT_ROOT_TOKEN', type: 'string', doc: 'Bearer token that acts as the root admin on the management API (for automation)', secret: true },
  { key: 'trustProxy', env: 'APIGPT_TRUST_PROXY', type: 'string', default: 'false', doc: 'Which proxies may set `X-Forwarded-For` (the client address used by key IP lists, throttling and the log): `false` (ignore the header), proxy addresses and CIDRs (`10.0.0.5,10.1.0.0/16`), or a hop count (`1`: only when every client comes through that one proxy); the address nearest a trusted proxy is taken' },
  { key: 'signupEnabled', env: 'APIGPT_SIGNUP', type: 'bool', default: true, doc: 'Whether anyone may sign up (no approval step)' },
  { key: 'loginMaxFailures', env: 'APIGPT_LOGIN_MAX_FAILURES', type: 'int', default: 5, min: 0, doc: 'Failed log-ins of one account within the window that lock it (an address may fail four times as often); each further failure doubles the lock, up to 64 times (0 = no throttling)' },
  { key: 'loginWindowMs', env: 'APIGPT_LOGIN_WINDOW_MS', type: 'int', default: 900000, min: 1000, doc: 'Window in which failed log-ins are counted' },
  { key: 'loginLockMs', env: 'APIGPT_LOGIN_LOCK_MS', type: 'int', default: 60000, min: 1, doc: 'First lock of an account or address past its failures (429 with `retry-after`); a locked attempt is refused before the password is checked' },
  { key: 'signupsPerIpHour', env: 'APIGPT_SIGNUPS_PER_IP_HOUR', type: 'int', default: 10, min: 0, doc: 'Sign-ups from one client address per hour (0 = no limit); more get 429 with `retry-after`' },
  { key: 'passwordMinScore', env: 'APIGPT_PASSWORD_MIN_SCORE', type: 'int', default: 3, min: 0, max: 4, doc: 'Strength a password chosen at sign-up, reset or change must reach, as zxcvbn scores it with its common-password list (0 = only the 8-character minimum, 3 = safely unguessable, 4 = very unguessable); accounts made by an admin or the CLI are not checked' },
  { key: 'sessionIdleMinutes', env: 'APIGPT_SESSION_IDLE_MINUTES', type: 'int', default: 1440, min: 0, max: 43200, doc: 'A console session unused for this long ends (0 = only the 30-day limit); every session ends 30 days after log-in anyway' },
  { key: 'smtpUrl', env: 'APIGPT_SMTP_URL', type: 'url', doc: 'Mail server for email verification and password reset, `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://user:pass@host:465`; when unset, mail is off: sign-up grants the trial credit at once and there is no reset by email', secret: true },
  { key: 'mailFrom', env: 'APIGPT_MAIL_FROM', type: 'string', doc: 'Sender of those mails, `APIGPT <no-reply@example.com>`; default `no-reply@` the public URL\'s host' },
  { key: 'mailsPerAccountHour', env: 'APIGPT_MAILS_PER_ACCOUNT_HOUR', type: 'int', default: 5, min: 0, doc: 'Verification and reset mails one address may be sent per hour (a client address may ask for four times as many; 0 = no limit); more get 429 with `retry-after`' },
  { key: 'bodyLimit', env: 'APIGPT_BODY_LIMIT', type: 'bytes', default: '20mb', doc: 'Largest request body accepted (`20mb`, `512kb`, or bytes); larger bodies get 413' },
  { key: 'bodyTimeoutMs', env: 'APIGPT_BODY_TIMEOUT_MS', type: 'int', default: 30000, min: 0, doc: 'Longest time a client may take to send a whole request (headers and body); a slower one gets 408 and is disconnected (0 = no limit). Responses, streams included, are not limited by it' },
  { key: 'upstreamConnectTimeoutMs', env: 'APIGPT_UPSTREAM_CONNECT_TIMEOUT_MS', type: 'int', default: 10000, min: 1, doc: 'Timeout to connect to a provider' },
  { key: 'upstreamTimeoutMs', env: 'APIGPT_UPSTREAM_TIMEOUT_MS', type: 'int', default: 300000, min: 1, doc: 'Timeout for the provider to send response headers (time to first byte)' },
  { key: 'upstreamIdleTimeoutMs', env: 'APIGPT_UPSTREAM_IDLE_TIMEOUT_MS', type: 'int', default: 120000, min: 1, doc: 'Longest silence allowed between two chunks of a provider stream' },
  { key: 'demoChannel', env: 'APIGPT_DEMO_CHANNEL', type: 'string', default: 'auto', doc: '`auto`: create the "Demo (simulated)" channel on the built-in simulator when no provider key is configured; `on` / `off` to force' },
  { key: 'simulatorPort', env: 'APIGPT_SIMULATOR_PORT', type: 'int', default: 0, min: 0, max: 65535, doc: 'Port of the built-in simulator behind the demo channel (0 = any free port)' },
  { key: 'retryMaxAttempts', env: 'APIGPT_RETRY_MAX_ATTEMPTS', type: 'int', default: 3, min: 1, max: 20, doc: 'Upstream attempts per call at most (other channels first, then the same ones again after a backoff)' },
  { key: 'retryStatuses', env: 'APIGPT_RETRY_STATUSES', type: 'list', default: ['408', '409', '429', '500', '502', '503', '504', '529'], doc: 'Provider statuses that are retried (connection errors and timeouts always are)' },
  { key: 'retryBaseDelayMs', env: 'APIGPT_RETRY_BASE_DELAY_MS', type: 'int', default: 200, min: 0, doc: 'Backoff before retrying a channel already tried (doubles each round, with jitter)' },
  { key: 'retryMaxWaitMs', env: 'APIGPT_RETRY_MAX_WAIT_MS', type: 'int', default: 10000, min: 0, doc: "Longest `retry-after` the gateway waits out itself; a longer one goes back to the caller" },
  { key: 'circuitFailures', env: 'APIGPT_CIRCUIT_FAILURES', type: 'int', default: 5, min: 1, doc: 'Failures in a row that open a channel\'s circuit' },
  { key: 'circuitErrorRatePercent', env: 'APIGPT_CIRCUIT_ERROR_RATE', type: 'int', default: 50, min: 1, max: 100, doc: 'Error rate (percent, per minute, once 20 calls were seen) that opens a channel\'s circuit' },
  { key: 'circuitCooldownMs', env: 'APIGPT_CIRCUIT_COOLDOWN_MS', type: 'int', default: 30000, min: 1, doc: 'How long an open circuit rests before one probe call may try the channel' },
  { key: 'healthProbeIntervalMs', env: 'APIGPT_HEALTH_PROBE_INTERVAL_MS', type: 'int', default: 60000, min: 0, doc: 'Background probe of resting and health-disabled channels (0 = off)' },
  { key: 'autoDisableAfterTrips', env: 'APIGPT_AUTO_DISABLE_AFTER_TRIPS', type: 'int', default: 3, min: 1, doc: 'A channel whose circuit opens this many times in a row is disabled until a probe passes' },
  { key: 'cacheHitPercent', env: 'APIGPT_CACHE_HIT_PERCENT', type: 'int', default: 0, min: 0, max: 100, doc: 'Share of the original price a response-cache hit is billed at' },
  { key: 'responsesRetentionDays', env: 'APIGPT_RESPONSES_RETENTION_DAYS', type: 'int', default: 30, min: 1, max: 3650, doc: 'Days a stored Responses API response (`store: true`, the default) is kept for `GET /v1/responses/{id}` and `previous_response_id`; older ones are deleted' },
  { key: 'shutdownGraceMs', env: 'APIGPT_SHUTDOWN_GRACE_MS', type: 'int', default: 30000, min: 0, doc: 'On SIGTERM / SIGINT, how long running calls (streams included) may take to finish before they are cut' },
  { key: 'maxConcurrentPerKey', env: 'APIGPT_MAX_CONCURRENT_PER_KEY', type: 'int', default: 0, min: 0, doc: 'Relay calls one API key may have in flight at once (streams included); one more gets 429 `concurrency_limit` (0 = no cap)' },
  { key: 'maxConcurrentPerUser', env: 'APIGPT_MAX_CONCURRENT_PER_USER', type: 'int', default: 0, min: 0, doc: 'Relay calls one account may have in flight at once, over all its keys and the playground (0 = no cap)' },
  { key: 'maxConcurrentPerGroup', env: 'APIGPT_MAX_CONCURRENT_PER_GROUP', type: 'int', default: 0, min: 0, doc: 'Relay calls all accounts of one user group may have in flight at once (0 = no cap)' },
  { key: 'logLevel', env: 'APIGPT_LOG_LEVEL', type: 'string', default: 'info', doc: '`debug`, `info`, `warn`, `error` or `silent`' },
  { key: 'trialCredit', env: 'APIGPT_TRIAL_CREDIT', type: 'int', default: 5000, min: 0, doc: 'Points (P) a new account receives at sign-up (0 = none); admins can change it at run time' },
  { key: 'lowBalanceDefault', env: 'APIGPT_LOW_BALANCE_DEFAULT', type: 'int', default: 0, min: 0, doc: 'Low-balance reminder threshold in P given to new accounts (0 = none)' },
  // Images made with `response_format: url` are stored and served from signed gateway links.
  { key: 'imageUrlTtl', env: 'APIGPT_IMAGE_URL_TTL', type: 'int', default: 3600, min: 60, max: 604800, doc: 'Seconds a signed image link (`response_format: url`) stays valid; stored images older than this are deleted' },
  { key: 's3Endpoint', env: 'APIGPT_S3_ENDPOINT', type: 'url', doc: 'S3-compatible endpoint for stored images (`https://s3.us-east-1.amazonaws.com`, a MinIO URL...); when unset images are files in `<data>/images`' },
  { key: 's3Bucket', env: 'APIGPT_S3_BUCKET', type: 'string', doc: 'Bucket for stored images (objects under `images/`; expire them with a lifecycle rule)' },
  { key: 's3Region', env: 'APIGPT_S3_REGION', type: 'string', default: 'us-east-1', doc: 'Region used to sign S3 requests' },
  { key: 's3AccessKeyId', env: 'APIGPT_S3_ACCESS_KEY_ID', type: 'string', doc: 'Access key id for the image bucket', secret: true },
  { key: 's3SecretAccessKey', env: 'APIGPT_S3_SECRET_ACCESS_KEY', type: 'string', doc: 'Secret access key for the image bucket', secret: true },
  { key: 'leaseMs', env: 'APIGPT_LEASE_MS', type: 'int', default: 15000, min: 300, max: 600000, doc: 'With Redis: a gateway process renews its lease this often (÷3); credit held by a process whose lease lapsed is released by the others' },
  { key: 'journalSync', env: 'APIGPT_JOURNAL_SYNC', type: 'bool', default: true, doc: 'Each charged call is appended to a journal in `<data>/journal` and fsync\'d (in groups) before its answer completes, so a crash cannot lose a charge; `false` skips the fsync (a crash of the machine, not of the process, may then lose the last charges)' },
  { key: 'logFlushMs', env: 'APIGPT_LOG_FLUSH_MS', type: 'int', default: 20, min: 1, doc: 'Request-log rows are written in one transaction every this many milliseconds' },
  // Provider keys: at first start each becomes a channel (see channels/bootstrap.ts).
  { key: 'openaiApiKey', env: 'OPENAI_API_KEY', type: 'string', doc: 'Creates an OpenAI channel at first start', secret: true },
  { key: 'openaiBaseUrl', env: 'OPENAI_BASE_URL', type: 'url', default: 'https://api.openai.com/v1', doc: 'Base URL of that OpenAI channel' },
  { key: 'openaiModels', env: 'OPENAI_MODELS', type: 'list', doc: 'Models of that channel (comma-separated); default: a list of current OpenAI models' },
  { key: 'openaiCompatibleBaseUrl', env: 'OPENAI_COMPATIBLE_BASE_URL', type: 'url', doc: 'Creates an OpenAI-compatible channel (Ollama, vLLM, DeepSeek...) at first start' },
  { key: 'openaiCompatibleApiKey', env: 'OPENAI_COMPATIBLE_API_KEY', type: 'string', doc: 'Key of that OpenAI-compatible channel, if it needs one', secret: true },
  { key: 'openaiCompatibleModels', env: 'OPENAI_COMPATIBLE_MODELS', type: 'list', doc: 'Models of that channel; default: asked from its `/models` at start' },
  { key: 'anthropicApiKey', env: 'ANTHROPIC_API_KEY', type: 'string', doc: 'Creates an Anthropic (Claude) channel at first start', secret: true },
  { key: 'anthropicBaseUrl', env: 'ANTHROPIC_BASE_URL', type: 'url', default: 'https://api.anthropic.com', doc: 'Base URL of that Anthropic channel (the host, without `/v1`)' },
  { key: 'anthropicModels', env: 'ANTHROPIC_MODELS', type: 'list', doc: 'Models of that channel; default: a list of current Claude models' },
  { key: 'geminiApiKey', env: 'GEMINI_API_KEY', type: 'string', doc: 'Creates a Google Gemini channel at first start', secret: true },
  { key: 'geminiBaseUrl', env: 'GEMINI_BASE_URL', type: 'url', default: 'https://generativelanguage.googleapis.com', doc: 'Base URL of that Gemini channel (the host; `/v1beta` is added)' },
  { key: 'geminiModels', env: 'GEMINI_MODELS', type: 'list', doc: 'Models of that channel; default: a list of current Gemini models' },
  { key: 'zhipuApiKey', env: 'ZHIPUAI_API_KEY', type: 'string', doc: 'Creates a Zhipu GLM channel at first start (the `id.secret` key)', secret: true },
  { key: 'zhipuBaseUrl', env: 'ZHIPUAI_BASE_URL', type: 'url', default: 'https://open.bigmodel.cn/api/paas/v4', doc: 'Base URL of that Zhipu channel (Z.ai accounts use their own host)' },
  { key: 'zhipuModels', env: 'ZHIPUAI_MODELS', type: 'list', doc: 'Models of that channel; default: a list of current GLM models' },
  { key: 'zhipuAuth', env: 'ZHIPUAI_AUTH', type: 'string', default: 'key', doc: '`key`: send the API key as the bearer token; `jwt`: sign a short-lived HS256 token from it (the legacy scheme)' },
  { key: 'azureOpenaiApiKey', env: 'AZURE_OPENAI_API_KEY', type: 'string', doc: 'With `AZURE_OPENAI_ENDPOINT`, creates an Azure OpenAI channel at first start', secret: true },
  { key: 'azureOpenaiEndpoint', env: 'AZURE_OPENAI_ENDPOINT', type: 'url', doc: 'The Azure resource endpoint, `https://{resource}.openai.azure.com`' },
  { key: 'azureOpenaiDeployments', env: 'AZURE_OPENAI_DEPLOYMENTS', type: 'list', doc: 'Models and their deployments, `model=deployment` pairs (comma-separated); a bare name is both' },
  { key: 'azureOpenaiApiVersion', env: 'AZURE_OPENAI_API_VERSION', type: 'string', default: '2024-10-21', doc: 'The `api-version` of deployment URLs, or `v1` for the `/openai/v1/` API (model = deployment in the body)' },
  { key: 'chatglmBaseUrl', env: 'CHATGLM_BASE_URL', type: 'url', doc: 'Creates a channel on a self-hosted ChatGLM3 OpenAI-style server (`http://host:8000/v1`) at first start' },
  { key: 'chatglmModels', env: 'CHATGLM_MODELS', type: 'list', default: ['chatglm3-6b'], doc: 'Models of that ChatGLM channel' },
  { key: 'sdWebuiUrl', env: 'SD_WEBUI_URL', type: 'url', doc: 'Creates a Stable Diffusion WebUI (AUTOMATIC1111 / Forge, started with `--api`) image channel at first start' },
  { key: 'sdWebuiAuth', env: 'SD_WEBUI_AUTH', type: 'string', doc: '`user:pass` of that WebUI\'s `--api-auth`, if set', secret: true },
  { key: 'sdWebuiModels', env: 'SD_WEBUI_MODELS', type: 'list', default: ['stable-diffusion-xl'], doc: 'Checkpoint titles (as `/sdapi/v1/sd-models` lists them) that channel serves' },
  { key: 'stabilityApiKey', env: 'STABILITY_API_KEY', type: 'string', doc: 'Creates a Stability AI image channel at first start', secret: true },
  { key: 'stabilityBaseUrl', env: 'STABILITY_BASE_URL', type: 'url', default: 'https://api.stability.ai', doc: 'Base URL of that Stability channel' },
] as const satisfies readonly FieldSpec[];
