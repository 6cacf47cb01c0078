/**
 * Prices users can see: `/api/models` (console, SDKs) and `GET /v1/models` (OpenAI dialect, prices in
 * an extra `pricing` field) read one catalog, with what each model does, the group's multiplier
 * applied, the sizes an image model accepts, and what 1 P is worth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startTestGateway, type TestGateway } from '../harness.js';
import { accountPrice, capabilityOf } from '../../src/billing/catalog.js';
import { DEFAULT_PRICES } from '../../src/billing/pricing.js';

const MODELS = ['gpt-4o-mini', 'gpt-3.5-turbo-instruct', 'text-embedding-3-small', 'dall-e-3', 'dall-e-2', 'tts-1', 'whisper-1', 'rerank-v3.5', 'o4-mini'];

interface Item {
  id: string;
  ownedBy: string;
  capability: string;
  price: { input: number; cachedInput: number; output: number; reasoning: number; perImage: number | null; perKChars: number | null; perSecond: number | null; perMinute: number | null; perKSearches: number | null } | null;
  imageSizes: string[] | null;
}
interface Listing {
  items: Item[];
  point: { usd: number; group: string; multiplier: number; rates: { provider: string; currency: string; pointsPerUnit: number }[] };
}

describe('models and prices users can see', () => {
  let t: TestGateway;
  let u: { cookie: string; userId: string; key: string };
  let admin: Map<string, { input: number; output: number; cachedInput: number; perImage: number | null; perKChars: number | null; perSecond: number | null; perKSearches: number | null }>;

  beforeAll(async () => {
    t = await startTestGateway({ channels: (sim) => [{ provider: 'openai-compatible', name: 'sim', baseUrl: `${sim.url}/v1`, models: MODELS }] });
    u = await t.newUserWithKey();
    const prices = await t.api<{ items: { model: string; input: number; output: number; cachedInput: number; perImage: number | null; perKChars: number | null; perSecond: number | null; perKSearches: number | null }[] }>('GET', '/api/admin/prices', undefined, { token: t.rootToken });
    admin = new Map(prices.body.items.map((p) => [p.model, p]));
  });
  afterAll(() => t?.close());

  const listing = async (cookie: string) => {
    const r = await t.api<Listing>('GET', '/api/models', undefined, { cookie });
    expect(r.status).toBe(200);
    return new Map(r.body.items.map((m) => [m.id, m]));
  };

  it('every model says what it does: chat, completion, image, embedding, speech, transcription, rerank', async () => {
    const m = await listing(u.cookie);
    expect(Object.fromEntries([...m].map(([id, x]) => [id, x.capability]))).toEqual({
      'gpt-4o-mini': 'chat',
      'o4-mini': 'chat',
      'gpt-3.5-turbo-instruct': 'completion',
      'text-embedding-3-small': 'embedding',
      'dall-e-3': 'image',
      'dall-e-2': 'image',
      'tts-1': 'speech',
      'whisper-1': 'transcription',
      'rerank-v3.5': 'rerank',
    });
  });

  it('at multiplier 1 the account pays the list price, in every unit; reasoning at the output price, audio per minute', async () => {
    const m = await listing(u.cookie);
    const chat = m.get('o4-mini')!.price!;
    const list = admin.get('o4-mini')!;
    expect(chat).toEqual({ input: list.input, cachedInput: list.cachedInput, output: list.output, reasoning: list.output, perImage: null, perKChars: null, perSecond: null, perMinute: null, perKSearches: null });
    expect(m.get('dall-e-3')!.price!.perImage).toBe(admin.get('dall-e-3')!.perImage);
    expect(m.get('tts-1')!.price!.perKChars).toBe(admin.get('tts-1')!.perKChars);
    expect(m.get('whisper-1')!.price!.perSecond).toBe(admin.get('whisper-1')!.perSecond);
    expect(m.get('whisper-1')!.price!.perMinute).toBeCloseTo(admin.get('whisper-1')!.perSecond! * 60, 9);
    expect(m.get('rerank-v3.5')!.price!.perKSearches).toBe(admin.get('rerank-v3.5')!.perKSearches);
  });

  it("a group's multiplier is applied to every unit, and the listing says the group, its multiplier and what 1 P is worth", async () => {
    const v = await t.newUserWithKey();
    await t.api('PUT', '/api/admin/groups/vip', { multiplier: 0.8 }, { token: t.rootToken });
    await t.api('PATCH', `/api/admin/users/${v.userId}`, { group: 'vip' }, { token: t.rootToken });
    const r = await t.api<Listing>('GET', '/api/models', undefined, { cookie: v.cookie });
    expect(r.body.point).toEqual({ usd: 0.001, group: 'vip', multiplier: 0.8, rates: [] });
    const m = new Map(r.body.items.map((x) => [x.id, x]));
    const list = admin.get('gpt-4o-mini')!;
    expect(m.get('gpt-4o-mini')!.price).toEqual(expect.objectContaining({ input: list.input * 0.8, output: list.output * 0.8, cachedInput: list.cachedInput * 0.8, reasoning: list.output * 0.8 }));
    expect(m.get('dall-e-3')!.price!.perImage).toBe(admin.get('dall-e-3')!.perImage! * 0.8);
  });

  it('an image model lists the sizes it accepts (dall-e-3 has no 512x512; dall-e-2 does); other models none', async () => {
    const m = await listing(u.cookie);
    expect(m.get('dall-e-3')!.imageSizes).toEqual(['1024x1024', '1792x1024', '1024x1792']);
    expect(m.get('dall-e-2')!.imageSizes).toEqual(['256x256', '512x512', '1024x1024']);
    expect(m.get('gpt-4o-mini')!.imageSizes).toBeNull();
  });

  it('GET /v1/models keeps OpenAI\'s shape (the official SDK lists it) and adds the same prices in `pricing`', async () => {
    const client = new OpenAI({ apiKey: u.key, baseURL: `${t.url}/v1` });
    const page = await client.models.list();
    const ids = page.data.map((x) => x.id).sort();
    expect(ids).toEqual([...MODELS].sort());
    const console = await listing(u.cookie);
    for (const model of page.data) {
      const extra = model as unknown as { object: string; owned_by: string; capability: string; pricing: Item['price'] };
      expect(extra.object).toBe('model');
      expect(extra.owned_by).toBe('openai-compatible');
      expect(extra.capability).toBe(console.get(model.id)!.capability);
      expect(extra.pricing).toEqual(console.get(model.id)!.price);
    }
  });

  it('a key limited to some models sees only those, with their prices', async () => {
    const keys = await t.api<{ items: { id: string }[] }>('GET', '/api/keys', undefined, { cookie: u.cookie });
    await t.api('PATCH', `/api/keys/${keys.body.items[0].id}`, { models: ['dall-e-3'] }, { cookie: u.cookie });
    const r = await fetch(`${t.url}/api/models`, { headers: { authorization: `Bearer ${u.key}` } });
    const body = (await r.json()) as Listing;
    expect(body.items.map((x) => x.id)).toEqual(['dall-e-3']);
  });

  it('an unpriced model is listed with a null price (its calls are refused) and a capability from its name', async () => {
    await t.api('DELETE', '/api/admin/prices/dall-e-2', undefined, { token: t.rootToken });
    const m = await listing(u.cookie);
    expect(m.get('dall-e-2')).toEqual(expect.objectContaining({ capability: 'image', price: null }));
  });
});

describe('the catalog (billing/catalog.ts)', () => {
  it('names every default price with a capability that matches its units', () => {
    for (const p of DEFAULT_PRICES) {
      const c = capabilityOf(p.model, p);
      if (p.perImage !== null) expect(c, p.model).toBe('image');
      else if (p.perKChars !== null) expect(c, p.model).toBe('speech');
      else if (p.perSecond !== null) expect(c, p.model).toBe('transcription');
      else if (p.perKSearches !== null) expect(c, p.model).toBe('rerank');
      else if (p.output === 0) expect(['embedding', 'rerank'], p.model).toContain(c);
      else expect(['chat', 'completion', 'speech', 'transcription'], p.model).toContain(c);
    }
    expect(capabilityOf('gpt-4o-mini-tts', DEFAULT_PRICES.find((p) => p.model === 'gpt-4o-mini-tts'))).toBe('speech');
    expect(capabilityOf('gpt-4o-transcribe', DEFAULT_PRICES.find((p) => p.model === 'gpt-4o-transcribe'))).toBe('transcription');
    expect(capabilityOf('bge-reranker-v2-m3', DEFAULT_PRICES.find((p) => p.model === 'bge-reranker-v2-m3'))).toBe('rerank');
  });

  it('applies the multiplier exactly in µP (0.15 P × 0.7 is 0.105 P, not a float near it)', () => {
    const p = DEFAULT_PRICES.find((x) => x.model === 'gpt-4o-mini')!;
    expect(accountPrice(p, 700_000).input).toBe(0.105);
  });
});
