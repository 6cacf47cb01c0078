// Every provider route, in match order. Routes are immutable data; all state lives in the instance.
// Order matters only where paths overlap: GET /v1/models is OpenAI unless the request carries
// Anthropic headers, POST /v1/chat/completions is DeepSeek's when the body's model starts with
// "deepseek-", POST /v1/rerank is Jina's when the model names Jina (each route's `when` decides,
// and the more specific route comes first).
import type { Route } from './route.js';
import { openaiRoutes } from './dialects/openai.js';
import { openaiImageRoutes } from './dialects/openai-images.js';
import { azureRoutes } from './dialects/azure.js';
import { anthropicRoutes } from './dialects/anthropic.js';
import { geminiRoutes } from './dialects/gemini.js';
import { zhipuRoutes } from './dialects/zhipu.js';
import { chatglmRoutes } from './dialects/chatglm.js';
import { webuiRoutes } from './dialects/sd-webui.js';
import { stabilityRoutes } from './dialects/stability.js';
import { deepseekRoutes } from './dialects/deepseek.js';
import { openaiAudioRoutes } from './dialects/openai-audio.js';
import { rerankRoutes } from './dialects/rerank.js';
import { ernieRoutes } from './dialects/ernie.js';
import { responsesRoutes } from './dialects/openai-responses.js';
import { moderationRoutes } from './dialects/openai-moderation.js';
import { epayRoutes } from './payments/epay.js';
import { alipayRoutes } from './payments/alipay.js';
import { wechatpayRoutes } from './payments/wechatpay.js';
import { stripeRoutes } from './payments/stripe.js';

export const ALL_ROUTES: Route[] = [
  ...deepseekRoutes,
  ...openaiRoutes,
  ...responsesRoutes,
  ...moderationRoutes,
  ...openaiAudioRoutes,
  ...rerankRoutes,
  ...openaiImageRoutes,
  ...azureRoutes,
  ...anthropicRoutes,
  ...geminiRoutes,
  ...zhipuRoutes,
  ...chatglmRoutes,
  ...webuiRoutes,
  ...stabilityRoutes,
  ...ernieRoutes,
  ...epayRoutes,
  ...alipayRoutes,
  ...wechatpayRoutes,
  ...stripeRoutes,
];
