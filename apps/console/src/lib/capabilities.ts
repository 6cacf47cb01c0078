import type { Capability, Model } from '../api/types';
import type { MessageKey, Translate } from '../i18n';

/** What a model does, as the server states it (`capability` in /api/models), in the reader's words. */
export function capabilityLabel(t: Translate, c: Capability): string {
  return t(`cap.${c}` as MessageKey);
}

export const CAPABILITY_COLOR: Record<Capability, string> = {
  chat: 'blue',
  completion: 'geekblue',
  image: 'magenta',
  embedding: 'cyan',
  speech: 'orange',
  transcription: 'gold',
  rerank: 'purple',
};

/** The models that can serve a capability, in the server's order; the usual first choices lead. */
export function modelsFor(models: readonly Model[] | undefined, c: Capability): string[] {
  const ids = (models ?? []).filter((m) => m.capability === c && m.price !== null).map((m) => m.id);
  const preferred = ['gpt-4o-mini', 'dall-e-3', 'text-embedding-3-small'];
  return [...ids.filter((id) => preferred.includes(id)), ...ids.filter((id) => !preferred.includes(id))];
}
