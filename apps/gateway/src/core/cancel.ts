/** The part of AbortSignal the relay uses; a real AbortSignal fits it too (probes, timeouts). */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * A relayed call's "the caller went away" switch. An AbortController builds a DOM EventTarget per
 * call, which cost 1.6% of the relay's CPU at load, for a signal that almost never fires; this is a
 * flag and a short list.
 */
export class Cancellation implements CancelSignal {
  aborted = false;
  private listeners: (() => void)[] | null = null;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const fn of listeners) fn();
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const list = this.listeners;
    const i = list ? list.indexOf(listener) : -1;
    if (i >= 0) list!.splice(i, 1);
  }
}
