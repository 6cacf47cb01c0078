import type { MailMessage } from './mailer.js';

/** The console's two languages. A mail carries both: the reader's first, the other below it. */
export type MailLocale = 'zh-CN' | 'en';

/** The language a request asked in: the console's own choice when it sent one, else the browser's. */
export function mailLocale(explicit: unknown, acceptLanguage: string | undefined): MailLocale {
  if (explicit === 'zh-CN' || explicit === 'en') return explicit;
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('zh') ? 'zh-CN' : 'en';
}

interface Part {
  subject: string;
  lines: string[];
  button: string;
  after: string[];
}

const VERIFY: Record<MailLocale, (hours: number) => Part> = {
  'zh-CN': (hours) => ({
    subject: '确认你的邮箱',
    lines: ['你好！请点击下面的链接确认这个邮箱地址，确认后试用额度会立即到账。'],
    button: '确认邮箱',
    after: [`链接 ${hours} 小时内有效。如果你没有注册 APIGPT，请忽略这封邮件。`],
  }),
  en: (hours) => ({
    subject: 'Confirm your email address',
    lines: ['Hello! Follow the link below to confirm this address; your trial credit is added as soon as you do.'],
    button: 'Confirm my email',
    after: [`The link works for ${hours} hours. If you did not sign up for APIGPT, ignore this mail.`],
  }),
};

const RESET: Record<MailLocale, (minutes: number) => Part> = {
  'zh-CN': (minutes) => ({
    subject: '重置密码',
    lines: ['有人（希望是你）请求重置这个邮箱对应的 APIGPT 账号密码。请点击下面的链接设置新密码。'],
    button: '设置新密码',
    after: [`链接 ${minutes} 分钟内有效，且只能使用一次。如果不是你本人操作，请忽略这封邮件，你的密码不会改变。`],
  }),
  en: (minutes) => ({
    subject: 'Reset your password',
    lines: ['Someone (we hope you) asked to reset the password of the APIGPT account of this address. Follow the link below to choose a new one.'],
    button: 'Choose a new password',
    after: [`The link works once, for ${minutes} minutes. If you did not ask for it, ignore this mail: your password stays as it is.`],
  }),
};

export function verificationMail(to: string, link: string, locale: MailLocale, ttlMs: number): MailMessage {
  return compose(to, link, order(locale).map((l) => VERIFY[l](Math.round(ttlMs / 3600_000))));
}

export function passwordResetMail(to: string, link: string, locale: MailLocale, ttlMs: number): MailMessage {
  return compose(to, link, order(locale).map((l) => RESET[l](Math.round(ttlMs / 60_000))));
}

const order = (first: MailLocale): MailLocale[] => (first === 'zh-CN' ? ['zh-CN', 'en'] : ['en', 'zh-CN']);

/** One mail, both languages: a plain-text part for every client and a simple HTML part with a button. */
function compose(to: string, link: string, parts: Part[]): MailMessage {
  const subject = `${parts.map((p) => p.subject).join(' / ')} · APIGPT`;
  const text = parts.map((p) => [...p.lines, '', link, '', ...p.after].join('\n')).join('\n\n——————————\n\n');
  const html = [
    '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1f1f1f;line-height:1.6">',
    parts
      .map(
        (p) =>
          `${p.lines.map((l) => `<p>${esc(l)}</p>`).join('')}` +
          `<p><a href="${esc(link)}" style="display:inline-block;padding:8px 18px;background:#1677ff;color:#fff;border-radius:6px;text-decoration:none">${esc(p.button)}</a></p>` +
          `<p style="font-size:13px;color:#595959">${p.after.map(esc).join('<br>')}</p>`,
      )
      .join('<hr style="border:0;border-top:1px solid #e5e5e5;margin:24px 0">'),
    `<p style="font-size:12px;color:#8c8c8c;word-break:break-all">${esc(link)}</p>`,
    '</body></html>',
  ].join('');
  return { to, subject, text, html };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
