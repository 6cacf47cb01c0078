import { azureImageBackend } from '../providers/azure/images.js';
import { openaiImageBackend, openaiStyleBackend } from '../providers/openai/images.js';
import { sdWebuiImageBackend } from '../providers/sd-webui/images.js';
import { stabilityImageBackend } from '../providers/stability/images.js';
import { zhipuImageBackend } from '../providers/zhipu/images.js';
import type { ImageBackend } from './types.js';

/** Image support by provider kind. Adding one: `providers/<kind>/images.ts` and a line here. */
const BACKENDS: ImageBackend[] = [
  openaiImageBackend,
  openaiStyleBackend('openai-compatible'),
  azureImageBackend,
  zhipuImageBackend,
  sdWebuiImageBackend,
  stabilityImageBackend,
];

const BY_KIND = new Map(BACKENDS.map((b) => [b.kind, b]));

export function imageBackendFor(kind: string): ImageBackend | undefined {
  return BY_KIND.get(kind);
}
