// The payer-facing pages of the simulated providers: plain HTML forms a browser (or a test's
// fetch) submits to "pay". No script, so they work under any content security policy.
import type { Outcome } from '../route.js';

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function htmlPage(title: string, body: string, status = 200): Outcome {
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}button{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem 0 0}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`;
  return { kind: 'bytes', status, body: html, contentType: 'text/html; charset=utf-8' };
}

export function redirect(location: string, status = 302): Outcome {
  return { kind: 'bytes', status, body: '', contentType: 'text/plain', headers: { location } };
}

/** `<dl>` of label → value. */
export function facts(rows: [string, string][]): string {
  return `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}
