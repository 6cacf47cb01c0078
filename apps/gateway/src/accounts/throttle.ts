import { createHash } from 'node:crypto';
import { GatewayError } from '../core/errors.js';
import { normaliseEmail } from './users.js';

/**
 * The few operations of the shared key-value state (state/kv.ts: memory for one process, Redis for
 * several) that throttling needs, so every gateway process sees the same counters and locks.
 */
export interface ThrottleStore {
  mget(keys: readonly string[]): Promise<(string | null)[]>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  incr(keys: readonly string[], ttlMs: number, by?: number): Promise<number[]>;
  del(keys: readonly string[]): Promise<void>;
}

export interface ThrottlePolicy {
  /** Failed log-ins of one account within `windowMs` that lock it (0 = no throttling). An address gets four times as many. */
  maxFailures: number;
  windowMs: number;
  /** The first lock; each further failure doubles it, up to 64 times. */
  lockMs: number;
  /** Sign-ups from one address per hour (0 = no limit). */
  signupsPerHour: number;
  /** Account mails (verification, reset) one email address may be sent per hour; a client address may ask for four times as many (0 = no limit). */
  mailsPerHour: number;
}

/** One log-in attempt let through: what `loginFailed` / `loginSucceeded` settle. */
export interface LoginTicket {
  readonly subjects: readonly Subject[];
  /** Failures of each subject counting this attempt. */
  readonly counts: readonly number[];
}

interface Subject {
  id: string;
  allowance: number;
  what: string;
}

/** How many times an account's allowance one address gets: a household or an office shares one. */
const ADDRESS_FACTOR = 4;
const MAX_DOUBLINGS = 6;
const HOUR_MS = 3_600_000;

/**
 * Brakes on password guessing and mass sign-up. Log-ins are counted per account and per client
 * address; once an allowance of failures is used up the account (or address) is locked for
 * `lockMs`, doubling with every further failure, and one attempt is let through per lock period. A
 * refused attempt costs no scrypt hash: it is turned away before the password is checked. Attempts
 * are counted before they are checked, so parallel guesses cannot slip past the allowance. Unknown
 * emails are counted like known ones, so a lock does not tell which accounts exist.
 */
export class LoginThrottle {
  constructor(
    private readonly store: ThrottleStore,
    private readonly policy: ThrottlePolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  private get off(): boolean {
    return this.policy.maxFailures <= 0;
  }

  /** Lets a log-in attempt through, or throws 429 (with `retry-after`) while the account or the address is locked. */
  async beginLogin(email: string, ip: string | null): Promise<LoginTicket> {
    const subjects: Subject[] = [
      { id: accountId(email), allowance: this.policy.maxFailures, what: 'this account' },
      { id: addressId(ip), allowance: this.policy.maxFailures * ADDRESS_FACTOR, what: 'your address' },
    ];
    if (this.off) return { subjects: [], counts: [] };
    // While locked, refused without counting: retrying does not lengthen the next lock.
    await this.refuseIfLocked(subjects);
    const counts = await this.store.incr(subjects.map((s) => failKey(s.id)), this.policy.windowMs);
    // Past the allowance, one attempt per lock period: the one that takes the lock goes ahead.
    const taken: string[] = [];
    for (let n = 0; n < subjects.length; n++) {
      const s = subjects[n];
      if (counts[n] <= s.allowance) continue;
      const ms = this.lockMs(counts[n], s.allowance);
      if (await this.store.setIfAbsent(lockKey(s.id), String(this.clock() + ms), ms)) {
        taken.push(lockKey(s.id));
        continue;
      }
      await this.store.incr(subjects.map((x) => failKey(x.id)), this.policy.windowMs, -1);
      if (taken.length) await this.store.del(taken);
      await this.refuseIfLocked(subjects);
      // The lock ran out between the two reads: the caller may simply try again.
      throw new GatewayError('rate_limit', `Too many failed log-ins for ${s.what}. Try again in 1 second.`, { code: 'login_locked', retryAfter: 1 });
    }
    return { subjects, counts };
  }

  /** A wrong password: locks the account or the address once its allowance is used up. */
  async loginFailed(ticket: LoginTicket): Promise<void> {
    await Promise.all(
      ticket.subjects.map((s, n) => {
        if (ticket.counts[n] < s.allowance) return undefined;
        const ms = this.lockMs(ticket.counts[n], s.allowance);
        return this.store.set(lockKey(s.id), String(this.clock() + ms), ms);
      }),
    );
  }

  /** The right password clears the account's failures; the address only gets this attempt back. */
  async loginSucceeded(ticket: LoginTicket): Promise<void> {
    const [account, address] = ticket.subjects;
    if (!account) return;
    await this.store.del([failKey(account.id), lockKey(account.id)]);
    await this.store.incr([failKey(address.id)], this.policy.windowMs, -1);
  }

  /**
   * The password was right but a second factor is still to come: the attempt is given back to the
   * account and the address, and the failures before it stay counted. Clearing them here would let
   * whoever knows the password guess codes for ever, a right password between every few guesses.
   */
  async loginHalfway(ticket: LoginTicket): Promise<void> {
    if (!ticket.subjects.length) return;
    await this.store.incr(ticket.subjects.map((s) => failKey(s.id)), this.policy.windowMs, -1);
  }

  /** Counts a sign-up attempt from the address; throws 429 past the hourly allowance. */
  async signup(ip: string | null): Promise<void> {
    const limit = this.policy.signupsPerHour;
    if (limit <= 0) return;
    const now = this.clock();
    const hour = Math.floor(now / HOUR_MS);
    const [n] = await this.store.incr([`auth:signup:${addressId(ip)}:${hour}`], HOUR_MS);
    if (n <= limit) return;
    const seconds = Math.max(1, Math.ceil(((hour + 1) * HOUR_MS - now) / 1000));
    throw new GatewayError('rate_limit', `Too many sign-ups from your address. Try again in ${seconds} seconds.`, { code: 'signup_rate_limited', retryAfter: seconds });
  }

  /**
   * Counts a request for an account mail (a reset link, a new verification link), per email address
   * and per client address, in the hour; throws 429 past either allowance. Unknown addresses are
   * counted like known ones, so the refusal does not tell which accounts exist, and nobody can make
   * the gateway flood a mailbox.
   */
  async mailRequest(email: string, ip: string | null): Promise<void> {
    const limit = this.policy.mailsPerHour;
    if (limit <= 0) return;
    const now = this.clock();
    const hour = Math.floor(now / HOUR_MS);
    const [account, address] = await this.store.incr([`auth:mail:${accountId(email)}:${hour}`, `auth:mail:${addressId(ip)}:${hour}`], HOUR_MS);
    if (account <= limit && address <= limit * ADDRESS_FACTOR) return;
    const seconds = Math.max(1, Math.ceil(((hour + 1) * HOUR_MS - now) / 1000));
    const what = account > limit ? 'this email address' : 'your address';
    throw new GatewayError('rate_limit', `Too many mails were asked for ${what}. Try again in ${seconds} seconds.`, { code: 'mail_rate_limited', retryAfter: seconds });
  }

  /** The owner proved the address (a reset link): the account's failed log-ins and lock are forgotten. */
  async accountRecovered(email: string): Promise<void> {
    const id = accountId(email);
    await this.store.del([failKey(id), lockKey(id)]);
  }

  private lockMs(failures: number, allowance: number): number {
    return this.policy.lockMs * 2 ** Math.min(Math.max(0, failures - allowance), MAX_DOUBLINGS);
  }

  private async refuseIfLocked(subjects: Subject[]): Promise<void> {
    const until = await this.store.mget(subjects.map((s) => lockKey(s.id)));
    const now = this.clock();
    let worst = -1;
    for (let n = 0; n < subjects.length; n++) if (Number(until[n] ?? 0) > now && (worst < 0 || Number(until[n]) > Number(until[worst]))) worst = n;
    if (worst < 0) return;
    const seconds = Math.max(1, Math.ceil((Number(until[worst]) - now) / 1000));
    throw new GatewayError('rate_limit', `Too many failed log-ins for ${subjects[worst].what}. Try again in ${seconds} seconds.`, { code: 'login_locked', retryAfter: seconds });
  }
}

// Emails and addresses are hashed in the keys: the shared state (Redis) need not hold them.
const digest = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);
const accountId = (email: string) => `a:${digest(normaliseEmail(email ?? ''))}`;
const addressId = (ip: string | null) => `i:${digest(ip ?? 'unknown')}`;
const failKey = (id: string) => `auth:fail:${id}`;
const lockKey = (id: string) => `auth:lock:${id}`;
