// Every provider route, in match order. Routes are immutable data; all state lives in the instance.
// Order matters only where paths overlap: GET /v1/models is OpenAI unless the request carries
// Anthropic headers (each route's `when` decides).
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

export const ALL_ROUTES: Route[] = [
  ...openaiRoutes,
  ...openaiImageRoutes,
  ...azureRoutes,
  ...anthropicRoutes,
  ...geminiRoutes,
  ...zhipuRoutes,
  ...chatglmRoutes,
  ...webuiRoutes,
  ...stabilityRoutes,
];
