/**
 * An AI suggestion inside the document. While the answer streams, its text is inserted right after
 * the text it would replace (or at the cursor), highlighted, with the original struck through; none
 * of that enters the undo history. Accepting takes the streamed text out again and replaces the
 * original with the final answer in ONE history step, so a single undo brings the original back;
 * discarding just takes the streamed text out. The user may keep typing elsewhere meanwhile: the
 * ranges follow every change (ProseMirror's position mapping).
 *
 * IME: a transaction dispatched while the user composes (Chinese, Japanese input) would cut the
 * composition, so streamed text waits in a buffer until `compositionend` and is flushed then.
 */
import { Plugin, PluginKey, type EditorState, type Transaction } from '@tiptap/pm/state';
import { closeHistory } from '@tiptap/pm/history';
import { Decoration, DecorationSet, type EditorView } from '@tiptap/pm/view';
import { Fragment, Slice, type Node as PMNode, type Schema } from '@tiptap/pm/model';

export interface SuggestionState {
  /** The text the suggestion would replace: from..to (empty when it inserts). */
  from: number;
  to: number;
  /** The streamed text in the document: sugFrom..sugTo. */
  sugFrom: number;
  sugTo: number;
}

type Meta = { set: SuggestionState | null };

export const suggestionKey = new PluginKey<SuggestionState | null>('agiSuggestion');

export function suggestionPlugin(): Plugin<SuggestionState | null> {
  return new Plugin<SuggestionState | null>({
    key: suggestionKey,
    state: {
      init: () => null,
      apply(tr, value) {
        const meta = tr.getMeta(suggestionKey) as Meta | undefined;
        if (meta) return meta.set;
        if (!value || !tr.docChanged) return value;
        const m = tr.mapping;
        // Typing at the edges stays outside: the original and the suggestion do not grow.
        const from = m.map(value.from, 1);
        const to = Math.max(from, m.map(value.to, -1));
        const sugFrom = Math.max(to, m.map(value.sugFrom, 1));
        const sugTo = Math.max(sugFrom, m.map(value.sugTo, -1));
        return { from, to, sugFrom, sugTo };
      },
    },
    props: {
      decorations(state) {
        const s = suggestionKey.getState(state);
        if (!s) return null;
        const decos: Decoration[] = [];
        if (s.to > s.from) decos.push(Decoration.inline(s.from, s.to, { class: 'agi-replaced' }));
        if (s.sugTo > s.sugFrom) decos.push(Decoration.inline(s.sugFrom, s.sugTo, { class: 'agi-suggestion' }));
        // A caret-like marker where the text is landing.
        decos.push(Decoration.widget(s.sugTo, () => marker(), { side: 1, key: 'agi-caret' }));
        return DecorationSet.create(state.doc, decos);
      },
    },
  });
}

function marker(): HTMLElement {
  const el = document.createElement('span');
  el.className = 'agi-landing';
  el.setAttribute('aria-hidden', 'true');
  return el;
}

/** Not part of the user's history: streamed text, its removal, the bookkeeping. */
function quiet(tr: Transaction, set: SuggestionState | null): Transaction {
  return tr.setMeta(suggestionKey, { set } satisfies Meta).setMeta('addToHistory', false);
}

export function activeSuggestion(state: EditorState): SuggestionState | null {
  return suggestionKey.getState(state) ?? null;
}

/** Starts a suggestion replacing from..to (from === to: inserting at that point). */
export function beginSuggestion(view: EditorView, from: number, to: number): void {
  view.dispatch(quiet(view.state.tr, { from, to, sugFrom: to, sugTo: to }));
}

/**
 * Streams text in: each line break becomes a hard break while streaming (the final answer is laid
 * out as Markdown on accept). Buffered while an IME composition is open.
 */
export class SuggestionWriter {
  private pending = '';
  private readonly onCompositionEnd = () => {
    // ProseMirror finishes its own composition handling in this same event; flush after it.
    setTimeout(() => this.flush(), 0);
  };

  constructor(private readonly view: EditorView) {
    view.dom.addEventListener('compositionend', this.onCompositionEnd);
  }

  write(text: string): void {
    this.pending += text;
    this.flush();
  }

  flush(): void {
    const view = this.view;
    if (!this.pending || view.composing || view.isDestroyed) return;
    const s = activeSuggestion(view.state);
    if (!s) return;
    const text = this.pending;
    this.pending = '';
    const tr = view.state.tr;
    let at = s.sugTo;
    const marks = view.state.doc.resolve(s.from).marks();
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (i > 0) {
        const br = view.state.schema.nodes.hardBreak;
        if (br) {
          tr.insert(at, br.create());
          at += 1;
        }
      }
      if (line) {
        tr.insert(at, view.state.schema.text(line, marks));
        at += line.length;
      }
    });
    view.dispatch(quiet(tr, { ...s, sugTo: at }));
  }

  dispose(): void {
    this.view.dom.removeEventListener('compositionend', this.onCompositionEnd);
  }
}

/** Takes the streamed text out of the document, outside history. Returns the ranges it had. */
export function clearSuggestion(view: EditorView): SuggestionState | null {
  const s = activeSuggestion(view.state);
  if (!s) return null;
  const tr = view.state.tr.delete(s.sugFrom, s.sugTo);
  view.dispatch(quiet(tr, null));
  return { ...s, sugTo: s.sugFrom };
}

/**
 * Accepts: the original range becomes `content` in one undoable step. `content` is the answer
 * parsed as Markdown (a document node); a single paragraph goes inline, so polishing half a
 * sentence keeps it one sentence.
 */
export function acceptSuggestion(view: EditorView, content: PMNode): boolean {
  const s = clearSuggestion(view);
  if (!s) return false;
  const slice = sliceOf(content);
  // Its own undo event, never merged with the user's typing just before (the history groups steps
  // less than 500 ms apart).
  const tr = closeHistory(view.state.tr.replaceRange(s.from, s.to, slice));
  tr.setMeta('agiAccepted', true);
  view.dispatch(tr.scrollIntoView());
  return true;
}

function sliceOf(doc: PMNode): Slice {
  const content = doc.content;
  if (content.childCount === 0) return Slice.empty;
  const first = content.firstChild!;
  const last = content.lastChild!;
  // Open at the ends whose nodes are text blocks, so their text joins the paragraph around the range.
  return new Slice(content, first.isTextblock ? 1 : 0, last.isTextblock ? 1 : 0);
}

/** The document's text between two positions, as plain text (blocks separated by blank lines). */
export function textBetween(state: EditorState, from: number, to: number): string {
  return state.doc.textBetween(from, to, '\n\n', '\n');
}

/** A document node from plain text (fallback when Markdown parsing is not available). */
export function plainDoc(schema: Schema, text: string): PMNode {
  const paras = text.split(/\n{2,}/).map((p) => schema.nodes.paragraph.create(null, p ? schema.text(p) : null));
  return schema.nodes.doc.create(null, Fragment.fromArray(paras));
}
