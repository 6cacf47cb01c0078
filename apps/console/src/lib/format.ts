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

/** Turns rows into CSV text (RFC 4180 quoting) and hands it to the browser as a download. */
export function downloadCsv(filename: string, header: string[], rows: (string | number | null | undefined)[][]): void {
  const cell = (v: string | number | null | undefined) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const text = [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n');
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
