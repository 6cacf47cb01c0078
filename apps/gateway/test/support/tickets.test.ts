/**
 * Support tickets over the real API on both databases: a user opens one about a failed call of
 * their own log (its request id), an admin answers in the admin routes, both sides see the unread
 * count move and get a mail through a real SMTP server; states follow whose turn it is; another
 * user, and a request id of another user's log, are told "not found"; admin answers are audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../eventually.js';
import { DB_KINDS, startTestGateway, type TestGateway } from '../harness.js';
import { startSmtpSink, type SmtpSink } from '../smtp-sink.js';

interface TicketView {
  id: string;
  status: string;
  unread: boolean;
  requestId: string | null;
  email?: string | null;
}

describe.each(DB_KINDS)('support tickets on %s', (db) => {
  let t: TestGateway;
  let smtp: SmtpSink;
  const root = () => ({ token: t.rootToken });

  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startTestGateway({ db, config: { smtpUrl: smtp.url, publicUrl: 'http://console.test' } });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /**
   * A call for a model nobody serves: refused and logged. Its request id is taken where the console
   * takes it, from the user's request log filtered to errors.
   */
  async function failedCall(key: string, cookie: string): Promise<string> {
    const res = await fetch(`${t.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    await res.arrayBuffer();
    await t.flushLogs();
    const logs = await t.api<{ items: { id: string; status: number; model_requested: string }[] }>('GET', '/api/logs?status=error&limit=1', undefined, { cookie });
    expect(logs.body.items[0]).toMatchObject({ model_requested: 'no-such-model' });
    return logs.body.items[0].id;
  }

  it('a ticket about a failed call: the admin sees the call, answers; the user is told (badge and mail) and replies; states follow', async () => {
    const u = await t.newUserWithKey();
    const requestId = await failedCall(u.key, u.cookie);
    const adminUnreadBefore = (await t.api<{ count: number }>('GET', '/api/admin/support/unread', undefined, root())).body.count;

    const opened = await t.api<TicketView>('POST', '/api/support/tickets', { subject: 'My call failed', body: 'The model was not found, why?', requestId }, { cookie: u.cookie });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    expect(opened.body).toMatchObject({ status: 'open', requestId, unread: false });
    const id = opened.body.id;

    // Admins are mailed, with the link to the ticket in the admin console.
    await eventually(() => expect(smtp.to('admin@test.local').some((m) => m.text.includes(`http://console.test/admin/support/${id}`))).toBe(true));
    const toAdmin = smtp.to('admin@test.local').find((m) => m.text.includes(id))!;
    expect(toAdmin.subject).toContain('My call failed');
    expect(toAdmin.text).toContain('The model was not found, why?');
    expect((await t.api<{ count: number }>('GET', '/api/admin/support/unread', undefined, root())).body.count).toBe(adminUnreadBefore + 1);

    // The admin's view names the user and the call's log row.
    const list = await t.api<{ items: TicketView[] }>('GET', '/api/admin/support/tickets?status=open', undefined, root());
    expect(list.body.items.find((x) => x.id === id)).toMatchObject({ unread: true, email: (await t.api('GET', '/api/auth/me', undefined, { cookie: u.cookie })).body.user.email });
    const th = await t.api<{ request: { id: string; status: number; model: string | null; errorCode: string | null }; messages: { author: string; body: string }[] }>('GET', `/api/admin/support/tickets/${id}`, undefined, root());
    expect(th.status).toBe(200);
    expect(th.body.request).toMatchObject({ id: requestId, model: 'no-such-model' });
    expect(th.body.request.status).toBeGreaterThanOrEqual(400);
    expect(th.body.messages).toEqual([expect.objectContaining({ author: 'user', body: 'The model was not found, why?' })]);
    // Read by an admin: no longer unread for the desk.
    expect((await t.api<{ count: number }>('GET', '/api/admin/support/unread', undefined, root())).body.count).toBe(adminUnreadBefore);

    const answered = await t.api<TicketView>('POST', `/api/admin/support/tickets/${id}/replies`, { body: 'Add a channel serving that model, or pick gpt-4o-mini.' }, root());
    expect(answered.body.status).toBe('answered');
    // The user: one unread ticket, and a mail with the link to it.
    expect((await t.api<{ count: number }>('GET', '/api/support/unread', undefined, { cookie: u.cookie })).body.count).toBe(1);
    const email = (await t.api('GET', '/api/auth/me', undefined, { cookie: u.cookie })).body.user.email as string;
    await eventually(() => expect(smtp.to(email).some((m) => m.text.includes(`http://console.test/support/${id}`))).toBe(true));
    expect(smtp.to(email).find((m) => m.text.includes(id))!.text).toContain('pick gpt-4o-mini');

    const mine = await t.api<{ ticket: TicketView; messages: { author: string }[] }>('GET', `/api/support/tickets/${id}`, undefined, { cookie: u.cookie });
    expect(mine.body.messages.map((m) => m.author)).toEqual(['user', 'admin']);
    expect((await t.api<{ count: number }>('GET', '/api/support/unread', undefined, { cookie: u.cookie })).body.count).toBe(0);

    const reply = await t.api<TicketView>('POST', `/api/support/tickets/${id}/replies`, { body: 'Thanks, works now.' }, { cookie: u.cookie });
    expect(reply.body.status).toBe('open');
    const closed = await t.api<TicketView>('POST', `/api/support/tickets/${id}/close`, undefined, { cookie: u.cookie });
    expect(closed.body.status).toBe('closed');
    // A reply reopens a closed ticket.
    expect((await t.api<TicketView>('POST', `/api/support/tickets/${id}/replies`, { body: 'One more thing.' }, { cookie: u.cookie })).body.status).toBe('open');

    // The admin's answer and close left audit rows naming the ticket.
    const closedByAdmin = await t.api<TicketView>('POST', `/api/admin/support/tickets/${id}/close`, undefined, root());
    expect(closedByAdmin.body.status).toBe('closed');
    const rows = await t.gw.services.db.selectFrom('audit_log').select(['action', 'target_id']).where('target_id', '=', id).orderBy('created_at').execute();
    expect(rows.map((r) => r.action)).toEqual(['ticket.reply', 'ticket.close']);
  });

  it('tenant isolation: another user cannot read, answer or close the ticket, nor attach a call of someone else\'s log', async () => {
    const a = await t.newUserWithKey();
    const b = await t.newUserWithKey();
    const requestId = await failedCall(a.key, a.cookie);
    const stolen = await t.api<{ error: { code: string; param: string } }>('POST', '/api/support/tickets', { subject: 'x', body: 'y', requestId }, { cookie: b.cookie });
    expect(stolen.status).toBe(404);
    expect(stolen.body.error).toMatchObject({ code: 'request_not_found', param: 'requestId' });

    const own = await t.api<TicketView>('POST', '/api/support/tickets', { subject: 'mine', body: 'help' }, { cookie: a.cookie });
    for (const [method, path, body] of [
      ['GET', `/api/support/tickets/${own.body.id}`, undefined],
      ['POST', `/api/support/tickets/${own.body.id}/replies`, { body: 'hijack' }],
      ['POST', `/api/support/tickets/${own.body.id}/close`, undefined],
    ] as const) {
      const r = await t.api<{ error: { code: string } }>(method, path, body, { cookie: b.cookie });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('ticket_not_found');
    }
    const bList = await t.api<{ items: TicketView[] }>('GET', '/api/support/tickets', undefined, { cookie: b.cookie });
    expect(bList.body.items.map((x) => x.id)).not.toContain(own.body.id);
    // A user's routes are not the admin's: the user route does not answer as an admin.
    const messages = await t.gw.services.db.selectFrom('support_messages').select('body').where('ticket_id', '=', own.body.id).execute();
    expect(messages.map((m) => m.body)).toEqual(['help']);
  });

  it('the account export carries the tickets with their threads; deleting the account deletes them and ends the invitation code', async () => {
    const u = await t.signup();
    const opened = await t.api<TicketView>('POST', '/api/support/tickets', { subject: 'Export me', body: 'My own words.' }, { cookie: u.cookie });
    await t.api('POST', `/api/admin/support/tickets/${opened.body.id}/replies`, { body: 'An answer.' }, root());
    const code = (await t.api<{ code: string }>('GET', '/api/referral', undefined, { cookie: u.cookie })).body.code;
    const exported = await t.api<{ supportTickets: { subject: string; messages: { author_role: string; body: string }[] }[]; invitationCode: { code: string } }>('GET', '/api/account/export', undefined, { cookie: u.cookie });
    expect(exported.status).toBe(200);
    expect(exported.body.supportTickets).toEqual([expect.objectContaining({ subject: 'Export me', messages: [expect.objectContaining({ author_role: 'user', body: 'My own words.' }), expect.objectContaining({ author_role: 'admin', body: 'An answer.' })] })]);
    expect(exported.body.invitationCode.code).toBe(code);

    const del = await t.api('POST', '/api/account/delete', { password: 'harness-password-17' }, { cookie: u.cookie });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    const db = t.gw.services.db;
    expect(await db.selectFrom('support_tickets').select('id').where('user_id', '=', u.user.id).execute()).toEqual([]);
    expect(await db.selectFrom('support_messages').select('id').where('ticket_id', '=', opened.body.id).execute()).toEqual([]);
    const signup = await fetch(`${t.url}/api/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `after-${Date.now()}@test.local`, password: 'harness-password-17', referralCode: code }) });
    expect(signup.status).toBe(400);
  });

  it('an empty subject or message is refused with a clear error', async () => {
    const u = await t.signup();
    const r = await t.api<{ error: { message: string; param: string } }>('POST', '/api/support/tickets', { subject: '   ', body: 'x' }, { cookie: u.cookie });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ param: 'subject', message: 'Give the ticket a subject.' });
  });
});
