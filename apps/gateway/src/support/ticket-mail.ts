import type { MailMessage } from '../accounts/mailer.js';

/**
 * The support mails, in both console languages (Chinese first, English below): only that there is
 * something to read, the ticket's subject, the new text, and the link to the thread in the console.
 */
export type TicketEvent = 'opened' | 'user_reply' | 'admin_reply';

const TEXTS: Record<TicketEvent, { zh: [string, string]; en: [string, string] }> = {
  opened: { zh: ['新工单', '用户提交了一个新工单：'], en: ['New support ticket', 'A user opened a new ticket:'] },
  user_reply: { zh: ['工单有新的用户回复', '用户回复了工单：'], en: ['A user replied to a ticket', 'The user replied to the ticket:'] },
  admin_reply: { zh: ['你的工单有新回复', '客服回复了你的工单：'], en: ['New reply to your ticket', 'Support replied to your ticket:'] },
};

export function ticketMail(to: string, event: TicketEvent, subject: string, text: string, link: string): MailMessage {
  const t = TEXTS[event];
  const excerpt = text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
  const part = (title: string, lead: string, open: string) => ({ title, lead, open });
  const parts = [part(t.zh[0], t.zh[1], '查看工单'), part(t.en[0], t.en[1], 'Open the ticket')];
  return {
    to,
    subject: `${t.zh[0]} / ${t.en[0]}: ${subject} · APIGPT`,
    text: [...parts.map((p) => `${p.lead} ${subject}`), '', excerpt, '', link].join('\n'),
    html: [
      '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f1f1f;line-height:1.6">',
      parts.map((p) => `<p>${esc(p.lead)} <b>${esc(subject)}</b></p>`).join(''),
      `<blockquote style="border-left:3px solid #d9d9d9;margin:0;padding:4px 12px;white-space:pre-wrap">${esc(excerpt)}</blockquote>`,
      `<p><a href="${esc(link)}" style="display:inline-block;padding:8px 18px;background:#1677ff;color:#fff;border-radius:6px;text-decoration:none">${esc(parts[0].open)} / ${esc(parts[1].open)}</a></p>`,
      '</body></html>',
    ].join(''),
  };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
