import { azureImageBackend } from './azure/images.js';
import { openaiImageBackend, openaiStyleBackend } from './openai/images.js';
import { sdWebuiImageBackend } from './sd-webui/images.js';
import { stabilityImageBackend } from './stability/images.js';
import { zhipuImageBackend } from './zhipu/images.js';
import type { ImageBackend } from './images.js';

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
