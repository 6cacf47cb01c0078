/**
 * The editor's stylesheet, added once to the document. Everything is scoped under `agi-editor` and
 * every colour, font and size is a CSS custom property, so a page restyles the editor from outside:
 *
 *   agi-editor { --agi-accent: #0a7; --agi-font: Georgia, serif; --agi-min-height: 30rem; }
 *
 * `theme="dark"` switches the defaults; a page's own values win over both.
 */
export const STYLE_ID = 'agi-editor-styles';

export const CSS = `
agi-editor {
  --agi-bg: #ffffff;
  --agi-fg: #1f2328;
  --agi-muted: #6b7280;
  --agi-border: #d8dee4;
  --agi-toolbar-bg: #f6f8fa;
  --agi-accent: #2563eb;
  --agi-accent-fg: #ffffff;
  --agi-radius: 8px;
  --agi-font: system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
  --agi-mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  --agi-font-size: 16px;
  --agi-line-height: 1.7;
  --agi-min-height: 16rem;
  --agi-max-height: none;
  --agi-suggestion-bg: #dcfce7;
  --agi-suggestion-fg: #14532d;
  --agi-replaced-fg: #9ca3af;
  --agi-error-bg: #fef2f2;
  --agi-error-fg: #991b1b;
  --agi-panel-width: 18rem;
  display: block;
  color: var(--agi-fg);
  font-family: var(--agi-font);
  font-size: var(--agi-font-size);
}
agi-editor[theme="dark"] {
  --agi-bg: #0d1117;
  --agi-fg: #e6edf3;
  --agi-muted: #8b949e;
  --agi-border: #30363d;
  --agi-toolbar-bg: #161b22;
  --agi-accent: #4493f8;
  --agi-suggestion-bg: #12361f;
  --agi-suggestion-fg: #aff5b4;
  --agi-replaced-fg: #6e7681;
  --agi-error-bg: #3b1219;
  --agi-error-fg: #ffa198;
}
agi-editor .agi-frame { border: 1px solid var(--agi-border); border-radius: var(--agi-radius); background: var(--agi-bg); overflow: hidden; }
agi-editor .agi-toolbar { display: flex; flex-wrap: wrap; gap: 2px; padding: 6px; background: var(--agi-toolbar-bg); border-bottom: 1px solid var(--agi-border); }
agi-editor .agi-toolbar button, agi-editor .agi-panel button {
  font: inherit; font-size: 13px; line-height: 1; color: var(--agi-fg); background: transparent; border: 1px solid transparent;
  border-radius: calc(var(--agi-radius) - 3px); padding: 6px 8px; cursor: pointer; min-width: 30px;
}
agi-editor .agi-toolbar button:hover, agi-editor .agi-panel button:hover { border-color: var(--agi-border); background: var(--agi-bg); }
agi-editor .agi-toolbar button[aria-pressed="true"] { background: var(--agi-bg); border-color: var(--agi-border); color: var(--agi-accent); }
agi-editor .agi-toolbar button:disabled, agi-editor .agi-panel button:disabled { opacity: .45; cursor: default; }
agi-editor .agi-toolbar .agi-sep { width: 1px; margin: 2px 4px; background: var(--agi-border); }
agi-editor .agi-toolbar .agi-ai-toggle { margin-left: auto; color: var(--agi-accent-fg); background: var(--agi-accent); font-weight: 600; }
agi-editor .agi-body { display: flex; align-items: stretch; }
agi-editor .agi-content { flex: 1; min-width: 0; overflow: auto; max-height: var(--agi-max-height); }
agi-editor .ProseMirror { min-height: var(--agi-min-height); padding: 14px 18px; outline: none; line-height: var(--agi-line-height); white-space: pre-wrap; word-wrap: break-word; }
agi-editor .ProseMirror > * + * { margin-top: .6em; }
agi-editor .ProseMirror p { margin: 0; }
agi-editor .ProseMirror h1, agi-editor .ProseMirror h2, agi-editor .ProseMirror h3 { line-height: 1.3; margin: 1em 0 .4em; }
agi-editor .ProseMirror blockquote { border-left: 3px solid var(--agi-border); margin: 0; padding-left: 1em; color: var(--agi-muted); }
agi-editor .ProseMirror code { font-family: var(--agi-mono); font-size: .9em; background: var(--agi-toolbar-bg); border-radius: 4px; padding: .1em .3em; }
agi-editor .ProseMirror pre { font-family: var(--agi-mono); background: var(--agi-toolbar-bg); border-radius: 6px; padding: .8em 1em; overflow-x: auto; }
agi-editor .ProseMirror pre code { background: none; padding: 0; }
agi-editor .ProseMirror img { max-width: 100%; height: auto; border-radius: 6px; }
agi-editor .ProseMirror img.ProseMirror-selectednode { outline: 2px solid var(--agi-accent); }
agi-editor .ProseMirror a { color: var(--agi-accent); }
agi-editor .ProseMirror table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: .6em 0; }
agi-editor .ProseMirror td, agi-editor .ProseMirror th { border: 1px solid var(--agi-border); padding: 4px 8px; vertical-align: top; position: relative; }
agi-editor .ProseMirror th { background: var(--agi-toolbar-bg); font-weight: 600; }
agi-editor .ProseMirror .selectedCell::after { content: ""; position: absolute; inset: 0; background: color-mix(in srgb, var(--agi-accent) 15%, transparent); pointer-events: none; }
agi-editor .ProseMirror p.is-editor-empty:first-child::before { content: attr(data-placeholder); color: var(--agi-muted); float: left; height: 0; pointer-events: none; }
agi-editor .agi-suggestion { background: var(--agi-suggestion-bg); color: var(--agi-suggestion-fg); border-radius: 3px; }
agi-editor .agi-replaced { color: var(--agi-replaced-fg); text-decoration: line-through; }
agi-editor .agi-landing { display: inline-block; width: 2px; height: 1em; vertical-align: text-bottom; background: var(--agi-accent); animation: agi-blink 1s steps(2) infinite; }
@keyframes agi-blink { 50% { opacity: 0; } }
agi-editor .agi-panel { width: var(--agi-panel-width); flex: none; border-left: 1px solid var(--agi-border); background: var(--agi-toolbar-bg); padding: 10px; font-size: 13px; display: flex; flex-direction: column; gap: 8px; overflow: auto; max-height: var(--agi-max-height); }
agi-editor .agi-panel[hidden] { display: none; }
agi-editor .agi-panel h3 { margin: 0; font-size: 14px; display: flex; justify-content: space-between; align-items: center; }
agi-editor .agi-panel h4 { margin: 4px 0 0; font-size: 12px; color: var(--agi-muted); font-weight: 500; text-transform: none; }
agi-editor .agi-panel .agi-grid { display: flex; flex-wrap: wrap; gap: 4px; }
agi-editor .agi-panel .agi-grid button { border-color: var(--agi-border); background: var(--agi-bg); }
agi-editor .agi-panel .agi-row { display: flex; gap: 4px; align-items: center; }
agi-editor .agi-panel select, agi-editor .agi-panel input, agi-editor .agi-panel textarea {
  font: inherit; font-size: 13px; color: var(--agi-fg); background: var(--agi-bg); border: 1px solid var(--agi-border); border-radius: 5px; padding: 5px 6px; min-width: 0; flex: 1;
}
agi-editor .agi-panel textarea { resize: vertical; min-height: 3.2em; }
agi-editor .agi-status { border-top: 1px solid var(--agi-border); padding-top: 8px; display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; color: var(--agi-muted); }
agi-editor .agi-status dd { margin: 0; color: var(--agi-fg); font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
agi-editor .agi-review { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; padding: 8px 12px; border-top: 1px solid var(--agi-border); background: var(--agi-toolbar-bg); font-size: 13px; }
agi-editor .agi-review[hidden] { display: none; }
agi-editor .agi-review .agi-msg { flex: 1; color: var(--agi-muted); min-width: 10rem; }
agi-editor .agi-review button { font: inherit; font-size: 13px; border-radius: 5px; padding: 5px 12px; cursor: pointer; border: 1px solid var(--agi-border); background: var(--agi-bg); color: var(--agi-fg); }
agi-editor .agi-review button.agi-primary { background: var(--agi-accent); color: var(--agi-accent-fg); border-color: var(--agi-accent); }
agi-editor .agi-review button[hidden] { display: none; }
agi-editor .agi-error { display: flex; gap: 8px; align-items: flex-start; padding: 8px 12px; background: var(--agi-error-bg); color: var(--agi-error-fg); border-top: 1px solid var(--agi-border); font-size: 13px; }
agi-editor .agi-error[hidden] { display: none; }
agi-editor .agi-error p { margin: 0; flex: 1; }
agi-editor .agi-error small { display: block; opacity: .8; margin-top: 2px; overflow-wrap: anywhere; }
agi-editor .agi-error button { font: inherit; font-size: 12px; background: none; border: 1px solid currentColor; color: inherit; border-radius: 4px; cursor: pointer; padding: 2px 8px; }
agi-editor .agi-explain { white-space: pre-wrap; background: var(--agi-bg); border: 1px solid var(--agi-border); border-radius: 6px; padding: 6px 8px; color: var(--agi-fg); }
agi-editor .agi-explain[hidden] { display: none; }
agi-editor .agi-footer { display: flex; justify-content: flex-end; padding: 3px 10px; font-size: 12px; color: var(--agi-muted); border-top: 1px solid var(--agi-border); }
@media (max-width: 640px) {
  agi-editor .agi-body { flex-direction: column; }
  agi-editor .agi-panel { width: auto; border-left: none; border-top: 1px solid var(--agi-border); }
}
`;

let adopted = false;

/**
 * A constructed stylesheet where the browser has them: a page's content security policy does not
 * apply to it, so the editor looks right on pages that forbid inline styles. A <style> otherwise.
 */
export function installStyles(doc: Document): void {
  if (adopted || doc.getElementById(STYLE_ID)) return;
  if ('adoptedStyleSheets' in doc && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
    adopted = true;
    return;
  }
  const style = doc.createElement('style');
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}
