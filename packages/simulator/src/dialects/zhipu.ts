// Zhipu GLM open platform (§5.1–5.5): OpenAI-like chat with its own differences, embeddings,
// CogView image generation, API-key or HS256-JWT auth, and `{error:{code:"1211"}}` errors.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { images as _unused } from './_placeholder.js';
