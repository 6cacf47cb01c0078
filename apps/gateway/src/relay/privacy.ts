/**
 * What the pipeline asks of privacy protection (issue 15): redaction of the caller's texts before
 * they leave the gateway, the originals put back in the answer, and the content log an admin may
 * turn on. Implemented by privacy/guard.ts and handed in by the services, so the relay depends on
 * this contract only.
 */
export interface PrivacyGuard {
  /** Null when the policies in hand are current; else the reload to wait for (it never rejects). */
  fresh(): Promise<void> | null;
  /** Whether a policy asks anything of this caller's calls (the hot path: map lookups, no allocation). */
  applies(group: string, appId: string | null): boolean;
  /** The call's privacy handling; null when no policy asks for anything. */
  open(call: PrivacyCallInfo): PrivacyCall | null;
}

export interface PrivacyCallInfo {
  requestId: string;
  userId: string;
  appId: string;
  group: string;
  /** The caller's dialect: the answer is restored in its shape. */
  dialect: string;
}

/** A text of the call's input and how to put its redacted form back in place (formats/safety-text.ts `TextSlot`). */
export interface RedactableText {
  text: string;
  set(text: string): void;
}

/** One call's privacy handling, in the order the pipeline asks. */
export interface PrivacyCall {
  /** Redacts the caller's texts in place, before the call is planned; `body` is the request as it will go upstream. */
  input(texts: RedactableText[], body: unknown): void;
  /** A whole JSON answer as the caller gets it (placeholders restored when the policy says so). */
  answer(body: Buffer): Buffer;
  /** A stream's rewriter in the caller's dialect: each piece the caller would get, and what is left at the end. */
  stream(): { pass(out: string): string; end(): string };
  /** The call is over: what it produced goes to the content log when the policy keeps content. */
  finish(status: number): void;
}
