/**
 * Lets one log line through per `everyMs` and counts the ones held back in between: a condition met
 * by every call (an outage, back-pressure, a journal that cannot be written) repeats its line
 * hundreds of times a second under load, and one line with a count says as much.
 */
export class LogThrottle {
  private at = -Infinity;
  private held = 0;

  constructor(private readonly everyMs: number) {}

  /** null: hold this line back (it is counted); otherwise how many were held back since the last one let through. */
  pass(now = Date.now()): number | null {
    if (now - this.at < this.everyMs) {
      this.held++;
      return null;
    }
    const held = this.held;
    this.at = now;
    this.held = 0;
    return held;
  }
}
