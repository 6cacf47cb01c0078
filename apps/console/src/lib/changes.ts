/** One field of a changed object: its value before and after (undefined where it did not exist). */
export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/**
 * The fields that differ between two states of an object (the audit log's before/after), by their
 * JSON. A creation (no before) lists every field of after, a deletion every field of before.
 */
export function changedFields(before: unknown, after: unknown): FieldChange[] {
  const b = asRecord(before);
  const a = asRecord(after);
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return fields.filter((f) => JSON.stringify(b[f]) !== JSON.stringify(a[f])).map((field) => ({ field, before: b[field], after: a[field] }));
}

function asRecord(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A value as one short line: strings as they are, the rest as JSON, nothing as "—". */
export function shortValue(v: unknown): string {
  if (v === undefined || v === null) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** `field: before → after; …`, for a CSV cell. */
export function changeSummary(before: unknown, after: unknown): string {
  return changedFields(before, after)
    .map((c) => `${c.field}: ${shortValue(c.before)} → ${shortValue(c.after)}`)
    .join('; ');
}
