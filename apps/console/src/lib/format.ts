/** Display helpers shared by pages. Money arrives from the API as decimal P. */
export function money(p: number | null | undefined, digits = 4): string {
  if (p === null || p === undefined || Number.isNaN(p)) return '—';
  // Small charges (fractions of a point) need more digits than balances do.
  const d = Math.abs(p) >= 100 ? 2 : digits;
  return `${p.toLocaleString(undefined, { minimumFractionDigits: Math.min(2, d), maximumFractionDigits: d })} P`;
}

export function dateTime(ms: number | null | undefined, locale: string): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(locale, { hour12: false });
}

export function dateOnly(ms: number | null | undefined, locale: string): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleDateString(locale);
}

export function num(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString();
}

/** Splits a textarea of "one per line or comma-separated" values. */
export function splitList(s: string | undefined | null): string[] {
  return (s ?? '').split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
}

type CsvValue = string | number | null | undefined;

/**
 * One CSV cell (RFC 4180 quoting). Text a spreadsheet would run as a formula — starting with `=`,
 * `+`, `-`, `@`, a tab or a carriage return — gets a leading `'`, so it is shown, not evaluated
 * (OWASP, "CSV Injection"): model names, app names and emails in an export are typed by users.
 * Numbers are written as they are.
 */
export function csvCell(v: CsvValue): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as CSV text, lines ended by CRLF. */
export function csvText(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n');
}

/** Turns rows into CSV text and hands it to the browser as a download. */
export function downloadCsv(filename: string, header: string[], rows: CsvValue[][]): void {
  const text = csvText(header, rows);
  // The BOM makes Excel read UTF-8 (Chinese text) correctly.
  const blob = new Blob(['\ufeff', text], { type: 'text/csv;charset=utf-8' });
  downloadBlob(filename, blob);
}

export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
