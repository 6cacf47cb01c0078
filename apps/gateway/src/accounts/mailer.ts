import type { Transporter } from 'nodemailer';
import type { Logger } from '../core/logger.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Sends the account mails (verification, password reset). */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /**
   * Sends without making the caller wait. Given a function, runs it in the background too and sends
   * what it returns (nothing when it returns undefined): a reset request does its look-up there, so
   * its answer takes as long whether or not the address has an account. A failure is logged, never
   * thrown.
   */
  sendInBackground(message: MailMessage | (() => Promise<MailMessage | undefined>)): void;
  /** Resolves once every background send has finished (shutdown, tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface MailerOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when the server offers it) or `smtps://user:pass@host:465`. */
  smtpUrl: string;
  /** The From header: `APIGPT <no-reply@example.com>`. */
  from: string;
  log: Logger;
}

/** SMTP through nodemailer, one connection per mail: account mails are rare and must not queue behind each other. */
export function createMailer(opts: MailerOptions): Mailer {
  // nodemailer is loaded with the first mail: a gateway keeps its code out of memory until then
  // (docs/architecture.md, "Start and idle memory").
  let transport: Promise<Transporter> | undefined;
  const open = () =>
    (transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        url: opts.smtpUrl,
        // Nodemailer waits minutes by default; a mail server that does not answer within seconds is down.
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 30_000,
      }),
    ));
  const running = new Set<Promise<void>>();

  const send = async (m: MailMessage) => {
    await (await open()).sendMail({ from: opts.from, to: m.to, subject: m.subject, text: m.text, html: m.html });
  };

  return {
    send,
    sendInBackground(m) {
      const p = (async () => {
        const message = typeof m === 'function' ? await m() : m;
        if (message) await send(message);
      })()
        // The error names the failure (refused login, unreachable server); the link is never logged.
        .catch((err: unknown) => opts.log.error('mail: could not send an account mail', err))
        .finally(() => running.delete(p));
      running.add(p);
    },
    async idle() {
      while (running.size) await Promise.allSettled([...running]);
    },
    async close() {
      await this.idle();
      // A transport that never loaded has nothing to close.
      await transport?.then((t) => t.close(), () => undefined);
    },
  };
}

/** The From address when none is configured: `no-reply@` the host people reach the gateway at. */
export function defaultMailFrom(publicUrl: string | undefined): string {
  let host = 'localhost';
  try {
    if (publicUrl) host = new URL(publicUrl).hostname || host;
  } catch {
    // an unparsable public URL was refused by the config already
  }
  return `APIGPT <no-reply@${host}>`;
}
