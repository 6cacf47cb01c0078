/**
 * Dashboard announcements over the real API: admins write them in both languages as drafts, publish
 * and unpublish them; users see only published ones, each can dismiss one for themselves; changes are
 * audited; a half-translated announcement is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../harness.js';

interface View {
  id: string;
  level: string;
  title: { en: string; 'zh-CN': string };
  body: { en: string; 'zh-CN': string };
  published: boolean;
}

describe('announcements', () => {
  let t: TestGateway;
  const root = () => ({ token: t.rootToken });
  const shown = async (cookie: string) => (await t.api<{ items: View[] }>('GET', '/api/announcements', undefined, { cookie })).body.items.map((a) => a.id);

  beforeAll(async () => {
    t = await startTestGateway();
  }, 60_000);
  afterAll(() => t?.close());

  it('a draft is not shown; published it is, in both languages, until a user dismisses it (for that user only); unpublished it is gone', async () => {
    const a = await t.signup();
    const b = await t.signup();
    const made = await t.api<View>('POST', '/api/admin/announcements', { level: 'warning', titleEn: 'Maintenance tonight', titleZh: '今晚维护', bodyEn: 'From 22:00 UTC.', bodyZh: '北京时间 6:00 起。' }, root());
    expect(made.status).toBe(200);
    expect(made.body).toMatchObject({ level: 'warning', published: false, title: { en: 'Maintenance tonight', 'zh-CN': '今晚维护' }, body: { en: 'From 22:00 UTC.', 'zh-CN': '北京时间 6:00 起。' } });
    const id = made.body.id;
    expect(await shown(a.cookie)).not.toContain(id);

    expect((await t.api<View>('PATCH', `/api/admin/announcements/${id}`, { published: true }, root())).body.published).toBe(true);
    expect(await shown(a.cookie)).toContain(id);
    expect(await shown(b.cookie)).toContain(id);

    expect((await t.api('POST', `/api/announcements/${id}/dismiss`, undefined, { cookie: a.cookie })).status).toBe(200);
    // Twice is the same.
    expect((await t.api('POST', `/api/announcements/${id}/dismiss`, undefined, { cookie: a.cookie })).status).toBe(200);
    expect(await shown(a.cookie)).not.toContain(id);
    expect(await shown(b.cookie)).toContain(id);

    await t.api('PATCH', `/api/admin/announcements/${id}`, { published: false }, root());
    expect(await shown(b.cookie)).not.toContain(id);
    // An unpublished announcement cannot be dismissed: it is not on anyone's dashboard.
    expect((await t.api<{ error: { code: string } }>('POST', `/api/announcements/${id}/dismiss`, undefined, { cookie: b.cookie })).body.error.code).toBe('announcement_not_found');

    expect((await t.api('DELETE', `/api/admin/announcements/${id}`, undefined, root())).status).toBe(200);
    const actions = await t.gw.services.db.selectFrom('audit_log').select('action').where('target_id', '=', id).orderBy('created_at').execute();
    expect(actions.map((r) => r.action)).toEqual(['announcement.create', 'announcement.update', 'announcement.update', 'announcement.delete']);
  });

  it('both languages are required', async () => {
    const r = await t.api<{ error: { message: string } }>('POST', '/api/admin/announcements', { titleEn: 'Only English', bodyEn: 'x' }, root());
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('titleZh');
  });
});
