import { ChangeWatch } from '../core/change-watch.js';
import type { Logger } from '../core/logger.js';
import { MAX_CONTENT_CHARS, type ContentLog } from './contents.js';
import { PiiFinder } from './pii.js';
import type { PrivacyPolicy } from './policy.js';
import { Redaction } from './redaction.js';
import type { PolicyStore } from './store.js';
import { restoreJson, StreamRestorer } from './stream.js';

/** The table whose change token tells a gateway its privacy policies changed. */
export const PRIVACY_TABLES: readonly string[] = ['privacy_policies'];
const DAY_MS = 86_400_000;

interface Entry {
  policy: PrivacyPolicy;
  finder: PiiFinder | null;
}

/** The relay's view of one call (relay/privacy.ts `PrivacyCallInfo`). */
interface CallInfo {
  requestId: string;
  userId: string;
  appId: string;
  group: string;
  dialect: string;
}

interface Text {
  text: string;
  set(text: string): void;
}

/**
 * What the call pipeline asks of privacy protection (it implements relay/privacy.ts `PrivacyGuard`):
 * the policy of the caller's App, or else of its group, compiled once per change. With no policy
 * `open` is one map lookup and the call goes on untouched.
 */
export class PrivacyGuard {
  private entries = new Map<string, Entry>();
  /** The entries that do something (redaction or the content log), by App id and by group. */
  private apps = new Map<string, Entry>();
  private groups = new Map<string, Entry>();
  private version = '';
  private readonly watch: ChangeWatch;

  constructor(
    private readonly store: PolicyStore,
    readonly contents: ContentLog,
    private readonly log: Logger,
    /** The database's change token (storage/database.ts): a change by any process is seen at the next call. */
    changeToken?: (tables: readonly string[]) => number,
  ) {
    this.watch = new ChangeWatch(PRIVACY_TABLES, () => this.load(), (err) => this.log.error('reloading the privacy policies failed', err), changeToken);
  }

  /** Loads the policies (at start, on a change, and after an admin's change on this gateway). */
  reload(): Promise<void> {
    return this.watch.reload();
  }

  /** Null when the policies in hand are current (the hot path: one comparison, no await); else the reload. */
  fresh(): Promise<void> | null {
    return this.watch.fresh();
  }

  private async load(): Promise<void> {
    const version = await this.store.version();
    if (version !== this.version) {
      const next = new Map<string, Entry>();
      for (const p of await this.store.list()) {
        let finder: PiiFinder | null = null;
        try {
          finder = p.redaction === 'off' ? null : new PiiFinder(p.kinds, p.patterns);
        } catch (err) {
          // Checked when it was set; a pattern this Node cannot compile leaves redaction to the kinds alone.
          this.log.error(`privacy policy ${p.scope}:${p.target} has a pattern that does not compile`, err);
          finder = new PiiFinder(p.kinds);
        }
        next.set(`${p.scope}:${p.target}`, { policy: p, finder });
      }
      this.entries = next;
      // An App's policy replaces its group's as a whole, even one that does nothing: kept to shadow it.
      this.apps = new Map([...next.values()].filter((e) => e.policy.scope === 'app').map((e) => [e.policy.target, e]));
      this.groups = new Map([...next.values()].filter((e) => e.policy.scope === 'group').map((e) => [e.policy.target, e]));
      this.version = version;
    }
  }

  /** Whether a policy asks anything of this caller's calls (redaction or the content log): no allocation. */
  applies(group: string, appId: string | null): boolean {
    const e = this.entryOf(group, appId);
    return e !== undefined && (e.policy.contentLogging || e.finder !== null);
  }

  private entryOf(group: string, appId: string | null): Entry | undefined {
    if (this.entries.size === 0) return undefined;
    return (appId !== null && this.apps.size > 0 ? this.apps.get(appId) : undefined) ?? this.groups.get(group);
  }

  /** The policy that applies to a caller: its App's, or else its group's. */
  policyFor(appId: string | null, group: string): PrivacyPolicy | null {
    void this.fresh();
    return ((appId && this.entries.get(`app:${appId}`)) || this.entries.get(`group:${group}`))?.policy ?? null;
  }

  open(call: CallInfo): ProtectedCall | null {
    const e = this.entryOf(call.group, call.appId || null);
    if (!e || (!e.policy.contentLogging && !e.finder)) return null;
    return new ProtectedCall(e, call, e.policy.contentLogging ? this.contents : null);
  }

  /** What a policy's redaction makes of a text (the admins' test in the console). */
  static preview(policy: Pick<PrivacyPolicy, 'kinds' | 'patterns'>, text: string): { redacted: string; found: { placeholder: string; value: string }[] } {
    const r = new Redaction(new PiiFinder(policy.kinds, policy.patterns), text);
    const redacted = r.redact(text);
    return { redacted, found: r.entries() };
  }
}

/** Text capped at the content log's limit. */
function capped(s: string): string {
  return s.length > MAX_CONTENT_CHARS ? s.slice(0, MAX_CONTENT_CHARS) : s;
}

/** One call under a policy (relay/privacy.ts `PrivacyCall`). */
export class ProtectedCall {
  private redaction: Redaction | null = null;
  private request: string | null = null;
  private response = '';

  constructor(
    private readonly entry: Entry,
    private readonly call: CallInfo,
    private readonly contents: ContentLog | null,
  ) {}

  private get restoring(): boolean {
    return this.entry.policy.redaction === 'reversible' && this.redaction !== null && this.redaction.size > 0;
  }

  input(texts: Text[], body: unknown): void {
    const finder = this.entry.finder;
    if (finder && texts.length > 0) {
      this.redaction = new Redaction(finder, texts.map((t) => t.text).join('\n'));
      for (const t of texts) {
        const r = this.redaction.redact(t.text);
        if (r !== t.text) t.set(r);
      }
    }
    if (this.contents && body !== undefined) this.request = capped(JSON.stringify(body));
  }

  answer(body: Buffer): Buffer {
    if (this.contents) this.response = capped(body.toString('utf8'));
    if (!this.restoring) return body;
    const restored = restoreJson(body.toString('utf8'), this.redaction!);
    return restored === null ? body : Buffer.from(restored, 'utf8');
  }

  stream(): { pass(out: string): string; end(): string } {
    const restorer = this.restoring ? new StreamRestorer(this.call.dialect, this.redaction!) : null;
    const keep = (out: string) => {
      if (this.contents && this.response.length < MAX_CONTENT_CHARS) this.response = capped(this.response + out);
    };
    return {
      pass: (out) => {
        keep(out);
        return restorer ? restorer.pass(out) : out;
      },
      end: () => (restorer ? restorer.end() : ''),
    };
  }

  finish(status: number): void {
    if (!this.contents || status >= 400) return;
    const now = this.contents.clock.now();
    this.contents.write({
      requestId: this.call.requestId,
      userId: this.call.userId,
      appId: this.call.appId,
      createdAt: now,
      expiresAt: now + this.entry.policy.retentionDays * DAY_MS,
      request: this.request,
      response: this.response || null,
    });
  }
}
