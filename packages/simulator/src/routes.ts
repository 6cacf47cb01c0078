// Every provider route, in match order. Routes are immutable data; all state lives in the instance.
import type { Route } from './route.js';
import { openaiRoutes } from './dialects/openai.js';
import { azureRoutes } from './dialects/azure.js';
import { anthropicRoutes } from './dialects/anthropic.js';
import { geminiRoutes } from './dialects/gemini.js';
import { zhipuRoutes } from './dialects/zhipu.js';
import { chatglmRoutes } from './dialects/chatglm.js';

export const ALL_ROUTES: Route[] = [...openaiRoutes, ...azureRoutes, ...anthropicRoutes, ...geminiRoutes, ...zhipuRoutes, ...chatglmRoutes];
