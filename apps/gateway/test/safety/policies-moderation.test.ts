/**
 * Content safety beyond text chat, through the real gateway and simulators over HTTP: input checks
 * on image prompts (OpenAI and the A1111 dialect), speech text and embeddings; policies per user
 * group and per App (which rules, which actions); the moderation model through a channel (a second
 * simulator serving OpenAI's /v1/moderations with known scores), with per-category thresholds, and
 * fail open / fail closed when it does not answer; POST /v1/moderations through that channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '@apigpt/simulator';
import { eventually } from '../eventually.js';
import { startTestGateway, type TestGateway } from '../harness.js';

const SIM_KEY = 'sk-sim-safety';
const WEBUI_AUTH = 'webui:safety-pass';
const SD15 = 'v1-5-pruned-emaonly.safetensors [6ce0161689]';
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The part of a relayed chat body these checks read. */
type ChatBody = { messages: { content: unknown }[] };

describe('content safety: every operation, policies, moderation model', () => {
  let t: TestGateway;
  let mod: Simulator;
  let user: { key: string; cookie: string; userId: string; appId: string };
  const rules: Record<string, string> = {};
  const root = () => ({ token: t.rootToken });

  beforeAll(async () => {
    mod = await startSimulator({ apiKey: SIM_KEY });
    t = await startTestGateway({
      simulator: { apiKey: SIM_KEY, basicAuth: WEBUI_AUTH },
      channels: (sim) => [
        { provider: 'openai', name: 'openai', baseUrl: `${sim.url}/v1`, secret: SIM_KEY, models: ['gpt-4o-mini', 'text-embedding-3-small', 'dall-e-2', 'tts-1'] },
        { provider: 'sd-webui', name: 'webui', baseUrl: sim.url, secret: WEBUI_AUTH, models: ['stable-diffusion'], modelMap: { 'stable-diffusion': SD15 } },
        { provider: 'openai', name: 'moderation', baseUrl: `${mod.url}/v1`, secret: SIM_KEY, models: ['omni-moderation-latest'] },
      ],
    });
    user = await t.newUserWithKey();
    const make = async (name: string, body: Record<string, unknown>) => {
      const r = await t.api<{ id: string }>('POST', '/api/admin/safety/rules', { name, kind: 'words', directions: ['input'], ...body }, root());
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      rules[name] = r.body.id;
    };
    await make('contraband', { action: 'block', words: ['contraband'] });
    await make('codeword', { action: 'mask', words: ['secretword'] });
  });
  afterAll(async () => {
    await t?.close();
    await mod?.close();
  });

  const post = async (path: string, body: unknown, key = user.key) => {
    const res = await fetch(t.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body) });
    const text = await res.text();
    let json: Json = null;
    try {
      json = JSON.parse(text);
    } catch {
      // audio bytes
    }
    return { status: res.status, body: json };
  };
  const upstream = (path: string) => t.sim.requests.filter((r) => r.path === path);
  const lastLog = async () => {
    await t.flushLogs();
    return t.gw.services.db.selectFrom('request_logs').select(['status', 'error_code', 'cost', 'endpoint']).where('user_id', '=', user.userId).orderBy('created_at', 'desc').executeTakeFirstOrThrow();
  };

  describe('input checks on every operation', () => {
    const CASES: { name: string; path: string; upstream: string; body: (text: string) => unknown; sent: (b: Json) => string }[] = [
      { name: 'image generation', path: '/v1/images/generations', upstream: '/v1/images/generations', body: (p) => ({ model: 'dall-e-2', prompt: p, size: '256x256', response_format: 'b64_json' }), sent: (b) => b.prompt },
      {
        name: 'A1111 txt2img',
        path: '/sdapi/v1/txt2img',
        upstream: '/sdapi/v1/txt2img',
        body: (p) => ({ prompt: p, width: 256, height: 256, steps: 20, batch_size: 1, override_settings: { sd_model_checkpoint: 'stable-diffusion' } }),
        sent: (b) => b.prompt,
      },
      { name: 'speech', path: '/v1/audio/speech', upstream: '/v1/audio/speech', body: (p) => ({ model: 'tts-1', input: p, voice: 'alloy' }), sent: (b) => b.input },
      { name: 'embeddings', path: '/v1/embeddings', upstream: '/v1/embeddings', body: (p) => ({ model: 'text-embedding-3-small', input: ['a fine text', p] }), sent: (b) => b.input[1] },
    ];
    for (const c of CASES) {
      it(`${c.name}: a blocked word is refused before the provider and not charged`, async () => {
        const before = upstream(c.upstream).length;
        const r = await post(c.path, c.body('a ｃｏｎｔｒａ ｂａｎｄ cargo'));
        expect(r.status).toBe(400);
        expect(JSON.stringify(r.body)).toContain('blocked by the content policy (rule: contraband)');
        expect(upstream(c.upstream).length).toBe(before);
        expect(await lastLog()).toEqual({ status: 400, error_code: 'content_filter', cost: 0, endpoint: c.path });
      });

      it(`${c.name}: a masked word reaches the provider masked`, async () => {
        const r = await post(c.path, c.body('the secretword lighthouse'));
        expect(r.status).toBe(200);
        expect(c.sent(upstream(c.upstream).at(-1)!.body)).toBe('the ********** lighthouse');
      });
    }
  });

  describe('policies per user group and per App', () => {
    it('an App policy changes a rule action; another App of the same user keeps the default', async () => {
      const other = await t.api<{ app: { id: string }; key: { key: string } }>('POST', '/api/apps', { name: 'lenient app' }, { cookie: user.cookie });
      const put = await t.api('PUT', '/api/admin/safety/policies', { scope: 'app', target: other.body.app.id, ruleIds: null, actions: { [rules.contraband]: 'mask' } }, root());
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const chat = (key: string) => post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'some contraband here' }] }, key);
      expect((await chat(user.key)).status).toBe(400);
      const lenient = await chat(other.body.key.key);
      expect(lenient.status).toBe(200);
      expect((t.sim.requests.at(-1)!.body as ChatBody).messages[0].content).toBe('some ********** here');
      // The change is in the audit log.
      const audit = await t.gw.services.db.selectFrom('audit_log').select(['action', 'target_id']).where('action', '=', 'safety_policy.create').execute();
      expect(audit.map((a) => a.target_id)).toContain((put.body as Json).id);
    });

    it('a group policy names the rules that apply to its members', async () => {
      const member = await t.newUserWithKey();
      expect((await t.api('PATCH', `/api/admin/users/${member.userId}`, { group: 'research' }, root())).status).toBe(200);
      const put = await t.api('PUT', '/api/admin/safety/policies', { scope: 'group', target: 'research', ruleIds: [rules.codeword] }, root());
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      const r = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'contraband and secretword' }] }, member.key);
      expect(r.status).toBe(200);
      expect((t.sim.requests.at(-1)!.body as ChatBody).messages[0].content).toBe('contraband and **********');
    });

    it('refuses a policy naming an unknown rule or App, in the management API shape', async () => {
      const bad = await t.api('PUT', '/api/admin/safety/policies', { scope: 'group', target: 'x', ruleIds: ['sfr_nope'] }, root());
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('No such rule: sfr_nope');
      const noApp = await t.api('PUT', '/api/admin/safety/policies', { scope: 'app', target: 'app_nope' }, root());
      expect(noApp.status).toBe(400);
      expect(JSON.stringify(noApp.body)).toContain('No such App');
    });
  });

  describe('the moderation model through a channel', () => {
    let app: { id: string; key: string };
    const setPolicy = async (failMode: 'open' | 'closed') => {
      const r = await t.api('PUT', '/api/admin/safety/policies', { scope: 'app', target: app.id, moderation: { model: 'omni-moderation-latest', thresholds: { violence: 0.7 }, action: 'block', timeoutMs: 500, failMode } }, root());
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    };
    const chat = (text: string) => post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }] }, app.key);
    const moderationDecisions = (ruleId: string) => t.gw.services.db.selectFrom('safety_decisions').selectAll().where('rule_id', '=', ruleId).execute();
    const setModeration = (fault: string | null) => fetch(`${mod.url}/_sim/controls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fault }) });

    beforeAll(async () => {
      const created = await t.api<{ app: { id: string }; key: { key: string } }>('POST', '/api/apps', { name: 'moderated app' }, { cookie: user.cookie });
      app = { id: created.body.app.id, key: created.body.key.key };
      await setPolicy('open');
    });

    it('per-category threshold: a score under it passes, one at or over it blocks before the provider', async () => {
      const asked = mod.requests.length;
      expect((await chat('we attack at dawn')).status).toBe(200); // violence 0.5 < 0.7
      expect(mod.requests.length).toBe(asked + 1);
      expect((mod.requests.at(-1)!.body as { input: unknown }).input).toEqual(['we attack at dawn']);
      const before = upstream('/v1/chat/completions').length;
      const r = await chat('attack and attack again'); // violence 0.75
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe('content_filter');
      expect(r.body.error.message).toContain('moderation: violence');
      expect(upstream('/v1/chat/completions').length).toBe(before);
      await eventually(async () => (await moderationDecisions('moderation/violence')).length === 1);
    });

    it("a category without a threshold counts when the model flags it", async () => {
      const r = await chat('I hate mondays');
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain('moderation: hate');
    });

    it('moderation down, fail open: the call goes through and the outage is recorded', async () => {
      await setModeration('hang');
      try {
        const r = await chat('attack and attack again');
        expect(r.status).toBe(200);
        await eventually(async () => (await moderationDecisions('moderation/unavailable')).some((d) => d.action === 'flag'));
      } finally {
        await setModeration(null);
      }
    });

    it('moderation down, fail closed: a 503 moderation_unavailable, nothing sent upstream, nothing charged; up again: served', async () => {
      await setPolicy('closed');
      await setModeration('status:503');
      const before = upstream('/v1/chat/completions').length;
      try {
        const r = await chat('a calm question');
        expect(r.status).toBe(503);
        expect(r.body.error.code).toBe('moderation_unavailable');
        expect(upstream('/v1/chat/completions').length).toBe(before);
        expect(await lastLog()).toMatchObject({ status: 503, error_code: 'moderation_unavailable', cost: 0 });
        await eventually(async () => (await moderationDecisions('moderation/unavailable')).some((d) => d.action === 'block'));
      } finally {
        await setModeration(null);
      }
      expect((await chat('a calm question')).status).toBe(200);
      expect(upstream('/v1/chat/completions').length).toBe(before + 1);
    });

    it('POST /v1/moderations goes to the moderation channel (free), and to the rules for a model no channel serves', async () => {
      const asked = mod.requests.length;
      const r = await post('/v1/moderations', { input: 'attack attack' });
      expect(r.status).toBe(200);
      expect(mod.requests.length).toBe(asked + 1);
      expect(r.body.model).toBe('omni-moderation-latest');
      expect(r.body.results[0].category_scores.violence).toBe(0.75);
      expect(await lastLog()).toMatchObject({ status: 200, cost: 0, endpoint: '/v1/moderations' });
      const rules = await post('/v1/moderations', { input: 'contraband', model: 'apigpt-rules' });
      expect(rules.status).toBe(200);
      expect(mod.requests.length).toBe(asked + 1);
      expect(rules.body.results[0].categories.contraband).toBe(true);
    });

    it('the admin sees the moderation decisions with counts, and one call\'s decisions by its request id', async () => {
      const r = await t.api<{ counts: { ruleId: string; action: string; count: number }[] }>('GET', '/api/admin/safety/decisions', undefined, root());
      expect(r.status).toBe(200);
      expect(r.body.counts).toContainEqual({ ruleId: 'moderation/violence', action: 'block', direction: 'input', count: 1 });
      const blocked = await chat('attack and attack again');
      expect(blocked.status).toBe(400);
      await t.flushLogs();
      const row = await t.gw.services.db.selectFrom('request_logs').select('id').where('app_id', '=', app.id).where('error_code', '=', 'content_filter').orderBy('created_at', 'desc').executeTakeFirstOrThrow();
      await eventually(async () => (await t.api<Json>('GET', `/api/admin/safety/decisions?requestId=${row.id}`, undefined, root())).body.items.length === 1);
      const one = await t.api<Json>('GET', `/api/admin/safety/decisions?requestId=${row.id}`, undefined, root());
      expect(one.body.items).toEqual([expect.objectContaining({ requestId: row.id, ruleId: 'moderation/violence', action: 'block', direction: 'input' })]);
      expect(one.body.counts).toEqual([]);
    });

    it('on output: the model reads whole answers as the provider wrote them; streams are read by the rules alone', async () => {
      const r = await t.api('PUT', '/api/admin/safety/policies', { scope: 'app', target: app.id, moderation: { model: 'omni-moderation-latest', thresholds: { violence: 0.7 }, action: 'block', timeoutMs: 2000, failMode: 'open', directions: ['output'] } }, root());
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect((r.body as Json).moderation.directions).toEqual(['output']);
      const reply = (stream: boolean) => post('/v1/chat/completions', { model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'tell me [[sim reply="we attack and attack again"]]' }] }, app.key);
      const asked = mod.requests.length;
      const whole = await reply(false);
      expect(whole.status).toBe(400);
      expect(whole.body.error.code).toBe('content_filter');
      expect(whole.body.error.message).toBe('The answer was blocked by the content policy (rule: moderation: violence).');
      // Only the answer was read (the policy leaves input to the rules), as the provider wrote it.
      expect(mod.requests.length).toBe(asked + 1);
      expect((mod.requests.at(-1)!.body as { input: unknown }).input).toEqual(['we attack and attack again']);
      await eventually(async () => (await moderationDecisions('moderation/violence')).some((d) => d.direction === 'output' && d.action === 'block'));
      // A calm answer passes; a stream is not sent to the model (its text is out before it is whole).
      expect((await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'a calm question' }] }, app.key)).status).toBe(200);
      expect(mod.requests.length).toBe(asked + 2);
      const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${app.key}` }, body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'tell me [[sim reply="we attack and attack again"]]' }] }) });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('[DONE]');
      expect(mod.requests.length).toBe(asked + 2);
      await setPolicy('open');
    });

    it("a failing moderation channel counts in the channel's health: its circuit opens, then a fail-closed check refuses at once without asking it", async () => {
      const channel = await t.gw.services.db.selectFrom('channels').select('id').where('name', '=', 'moderation').executeTakeFirstOrThrow();
      const health = async () => (await t.api<Json>('GET', '/api/admin/channels/health', undefined, root())).body.items.find((c: Json) => c.id === channel.id);
      await setPolicy('closed');
      await setModeration('status:503');
      try {
        // Five failures in a row open a circuit (relay/health/circuit.ts DEFAULT_CIRCUIT).
        for (let i = 0; i < 5 && (await health()).state !== 'open'; i++) {
          expect((await chat('a calm question')).body.error.code).toBe('moderation_unavailable');
          await eventually(async () => (await health()).consecutiveFailures >= i + 1 || (await health()).state === 'open');
        }
        await eventually(async () => (await health()).state === 'open');
        const asked = mod.requests.length;
        const r = await chat('a calm question');
        expect(r.status).toBe(503);
        expect(r.body.error.code).toBe('moderation_unavailable');
        expect(mod.requests.length).toBe(asked);
      } finally {
        await setModeration(null);
        await t.gw.services.health.circuit.reset(channel.id);
        await setPolicy('open');
      }
      expect((await chat('a calm question')).status).toBe(200);
    });
  });
});
