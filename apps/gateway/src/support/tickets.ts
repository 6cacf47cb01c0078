import type { Mailer } from '../accounts/mailer.js';
import { GatewayError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Db } from '../storage/database.js';
import type { SupportMessagesTable, SupportTicketsTable, TicketStatus } from '../storage/schema.js';
import { ticketMail, type TicketEvent } from './ticket-mail.js';

/** Who acts on a ticket: its owner, or an admin (any admin may answer any ticket). */
export interface Actor {
  id: string;
  email: string;
  role: 'user' | 'admin';
}

/** The call a ticket is about, as the request log has it (no body: the log keeps none). */
export interface RequestSummary {
  id: string;
  createdAt: number;
  endpoint: string;
  model: string | null;
  status: number;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface Thread {
  ticket: SupportTicketsTable & { email: string | null };
  messages: SupportMessagesTable[];
  request: RequestSummary | null;
}

export interface TicketFilter {
  userId?: string;
  status?: TicketStatus;
  limit: number;
  offset: number;
}

/** Runs inside a change's transaction with the ticket before and after it (the admin's audit row). */
export type Within = (trx: Db, before: SupportTicketsTable, after: SupportTicketsTable) => Promise<void>;

/** Console pages the mailed links open (apps/console routes). */
export const userTicketPath = (id: string) => `/support/${id}`;
export const adminTicketPath = (id: string) => `/admin/support/${id}`;

const notFound = () => new GatewayError('not_found', 'There is no such support ticket.', { code: 'ticket_not_found' });

/**
 * The support desk. A user sees only their own tickets (another's is "not found"); admins see all.
 * A reply moves the ticket to the state that says whose turn it is: a user's to `open`, an admin's
 * to `answered` (a reply reopens a closed ticket). Unread means: a reply of the other side newer
 * than when this side last read the thread.
 */
export class SupportDesk {
  constructor(
    private readonly db: Db,
    private readonly mailer: Mailer | null,
  ) {}

  async open(user: Actor, input: { subject: string; body: string; requestId?: string }, base: string): Promise<SupportTicketsTable> {
    const subject = input.subject.trim();
    const body = input.body.trim();
    if (!subject) throw new GatewayError('invalid_request', 'Give the ticket a subject.', { param: 'subject', code: 'invalid_value' });
    if (!body) throw new GatewayError('invalid_request', 'Say what happened: the message is empty.', { param: 'body', code: 'invalid_value' });
    if (input.requestId !== undefined) {
      // Only a call of the user's own log can be attached: another's request id is "not found".
      const own = await this.db.selectFrom('request_logs').select('id').where('id', '=', input.requestId).where('user_id', '=', user.id).executeTakeFirst();
      if (!own) throw new GatewayError('not_found', `There is no call ${input.requestId} in your request log.`, { param: 'requestId', code: 'request_not_found' });
    }
    const now = Date.now();
    const ticket: SupportTicketsTable = {
      id: newId('tkt'),
      user_id: user.id,
      subject,
      status: 'open',
      request_id: input.requestId ?? null,
      created_at: now,
      updated_at: now,
      last_user_at: now,
      last_admin_at: null,
      user_read_at: now,
      admin_read_at: 0,
      closed_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('support_tickets').values(ticket).execute();
      await trx.insertInto('support_messages').values({ id: newId('tkm'), ticket_id: ticket.id, author_id: user.id, author_role: 'user', body, created_at: now }).execute();
    });
    this.mailAdmins('opened', ticket, body, base);
    return ticket;
  }

  /** Tickets, most recently active first; with `userId`, that user's only. */
  async list(f: TicketFilter): Promise<{ items: (SupportTicketsTable & { email: string | null })[]; total: number }> {
    let base = this.db.selectFrom('support_tickets').leftJoin('users', 'users.id', 'support_tickets.user_id');
    if (f.userId) base = base.where('support_tickets.user_id', '=', f.userId);
    if (f.status) base = base.where('support_tickets.status', '=', f.status);
    const items = await base
      .selectAll('support_tickets')
      .select('users.email as email')
      .orderBy('support_tickets.updated_at', 'desc')
      .orderBy('support_tickets.id', 'desc')
      .limit(f.limit)
      .offset(f.offset)
      .execute();
    const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { items, total: Number(n) };
  }

  /** The whole thread, marked read for the side that reads it. */
  async thread(id: string, reader: Actor): Promise<Thread> {
    const ticket = await this.get(id, reader);
    const now = Date.now();
    const column = reader.role === 'admin' ? 'admin_read_at' : 'user_read_at';
    await this.db.updateTable('support_tickets').set({ [column]: now }).where('id', '=', id).execute();
    const messages = await this.db.selectFrom('support_messages').selectAll().where('ticket_id', '=', id).orderBy('created_at').orderBy('id').execute();
    const owner = await this.db.selectFrom('users').select('email').where('id', '=', ticket.user_id).executeTakeFirst();
    return { ticket: { ...ticket, [column]: now, email: owner?.email ?? null }, messages, request: ticket.request_id ? await this.request(ticket.request_id, ticket.user_id) : null };
  }

  async reply(id: string, author: Actor, text: string, base: string, within?: Within): Promise<SupportTicketsTable> {
    const body = text.trim();
    if (!body) throw new GatewayError('invalid_request', 'The reply is empty.', { param: 'body', code: 'invalid_value' });
    const now = Date.now();
    const fromAdmin = author.role === 'admin';
    const after = await this.db.transaction().execute(async (trx) => {
      const before = await this.getIn(trx, id, author);
      const after: SupportTicketsTable = {
        ...before,
        status: fromAdmin ? 'answered' : 'open',
        updated_at: now,
        closed_at: null,
        ...(fromAdmin ? { last_admin_at: now, admin_read_at: now } : { last_user_at: now, user_read_at: now }),
      };
      await trx.insertInto('support_messages').values({ id: newId('tkm'), ticket_id: id, author_id: author.id, author_role: author.role, body, created_at: now }).execute();
      const { id: _id, user_id: _u, created_at: _c, ...set } = after;
      await trx.updateTable('support_tickets').set(set).where('id', '=', id).execute();
      await within?.(trx, before, after);
      return after;
    });
    if (fromAdmin) this.mailOwner(after, body, base);
    else this.mailAdmins('user_reply', after, body, base);
    return after;
  }

  async close(id: string, by: Actor, within?: Within): Promise<SupportTicketsTable> {
    const now = Date.now();
    return this.db.transaction().execute(async (trx) => {
      const before = await this.getIn(trx, id, by);
      if (before.status === 'closed') return before;
      const after: SupportTicketsTable = { ...before, status: 'closed', closed_at: now, updated_at: now };
      await trx.updateTable('support_tickets').set({ status: 'closed', closed_at: now, updated_at: now }).where('id', '=', id).execute();
      await within?.(trx, before, after);
      return after;
    });
  }

  /** Tickets with a reply the reader has not seen: the console's badge. */
  async unread(reader: Actor): Promise<number> {
    let q = this.db.selectFrom('support_tickets').select((eb) => eb.fn.countAll<number>().as('n'));
    q =
      reader.role === 'admin'
        ? // Every admin sees the same desk: a user's message no admin has read yet, on a ticket not closed.
          q.where('status', '!=', 'closed').whereRef('last_user_at', '>', 'admin_read_at')
        : q.where('user_id', '=', reader.id).where('last_admin_at', 'is not', null).whereRef('last_admin_at', '>', 'user_read_at');
    const { n } = await q.executeTakeFirstOrThrow();
    return Number(n);
  }

  /** One ticket as `who` may see it: an owner only their own. */
  get(id: string, who: Actor): Promise<SupportTicketsTable> {
    return this.getIn(this.db, id, who);
  }

  private async getIn(db: Db, id: string, who: Actor): Promise<SupportTicketsTable> {
    const t = await db.selectFrom('support_tickets').selectAll().where('id', '=', id).executeTakeFirst();
    if (!t || (who.role !== 'admin' && t.user_id !== who.id)) throw notFound();
    return t;
  }

  private async request(requestId: string, userId: string): Promise<RequestSummary | null> {
    const r = await this.db
      .selectFrom('request_logs')
      .select(['id', 'created_at', 'endpoint', 'model_requested', 'status', 'error_code', 'error_message'])
      .where('id', '=', requestId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r ? { id: r.id, createdAt: Number(r.created_at), endpoint: r.endpoint, model: r.model_requested, status: r.status, errorCode: r.error_code, errorMessage: r.error_message } : null;
  }

  private mailOwner(t: SupportTicketsTable, text: string, base: string): void {
    const mailer = this.mailer;
    if (!mailer) return;
    mailer.sendInBackground(async () => {
      const owner = await this.db.selectFrom('users').select(['email', 'status']).where('id', '=', t.user_id).executeTakeFirst();
      return owner && owner.status === 'active' ? ticketMail(owner.email, 'admin_reply', t.subject, text, base + userTicketPath(t.id)) : undefined;
    });
  }

  private mailAdmins(event: TicketEvent, t: SupportTicketsTable, text: string, base: string): void {
    const mailer = this.mailer;
    if (!mailer) return;
    // The look-up runs in the background too (tracked by the mailer, so `idle()` waits for it): the
    // user's answer does not wait for the database or the mail server. A failure is logged there.
    mailer.sendInBackground(async () => {
      const admins = await this.db.selectFrom('users').select('email').where('role', '=', 'admin').where('status', '=', 'active').execute();
      for (const a of admins) mailer.sendInBackground(ticketMail(a.email, event, t.subject, text, base + adminTicketPath(t.id)));
      return undefined;
    });
  }
}
