/**
 * The editing engine: TipTap (ProseMirror) with the blocks and marks a writer needs, Markdown in
 * and out, cleaned paste, and the AI suggestion plugin. Nothing here knows about the gateway.
 */
import { Editor, Extension, getHTMLFromFragment, type JSONContent } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';
import Image from '@tiptap/extension-image';
import { TableKit } from '@tiptap/extension-table';
import { Placeholder } from '@tiptap/extensions';
import { Markdown } from '@tiptap/markdown';
import type { Node as PMNode } from '@tiptap/pm/model';
import type { EditorState } from '@tiptap/pm/state';
import { cleanPastedHTML } from './paste.js';
import { activeSuggestion, plainDoc, suggestionKey, suggestionPlugin } from './suggestion.js';

export interface EngineHooks {
  placeholder: () => string;
  /** Keys the AI suggestion takes while one is showing: Escape, Mod-Enter, Mod-z. */
  onEscape: () => boolean;
  onAcceptKey: () => boolean;
  onUndoKey: () => boolean;
  /** A change the user made (not the streamed suggestion). */
  onUserChange: () => void;
  onSelectionOrState: () => void;
}

export function createEngine(mount: HTMLElement, hooks: EngineHooks, initial: { content: string; type: 'html' | 'markdown' }): Editor {
  const AISuggestion = Extension.create({
    name: 'agiSuggestion',
    // Before the history keymap, so Mod-z discards a showing suggestion instead of undoing beneath it.
    priority: 1000,
    addProseMirrorPlugins: () => [suggestionPlugin()],
    addKeyboardShortcuts: () => ({
      Escape: () => hooks.onEscape(),
      'Mod-Enter': () => hooks.onAcceptKey(),
      'Mod-z': () => hooks.onUndoKey(),
    }),
  });

  const editor = new Editor({
    element: mount,
    // The editor's own stylesheet (styles.ts) covers what TipTap would inject as a <style>, which a
    // strict content security policy on the host page would block.
    injectCSS: false,
    extensions: [
      StarterKit.configure({
        link: { openOnClick: false, autolink: true, defaultProtocol: 'https' },
        heading: { levels: [1, 2, 3, 4] },
      }),
      Image.configure({ allowBase64: true }),
      TableKit.configure({ table: { resizable: false } }),
      Placeholder.configure({ placeholder: () => hooks.placeholder() }),
      Markdown.configure({ indentation: { style: 'space', size: 2 } }),
      AISuggestion,
    ],
    content: initial.content,
    contentType: initial.type,
    editorProps: {
      transformPastedHTML: cleanPastedHTML,
      attributes: { spellcheck: 'true', role: 'textbox', 'aria-multiline': 'true' },
    },
    onUpdate: ({ transaction }) => {
      if (transaction.getMeta(suggestionKey) === undefined) hooks.onUserChange();
    },
    onTransaction: () => hooks.onSelectionOrState(),
  });
  return editor;
}

/** The document without a showing suggestion's streamed text: what the user actually has. */
export function committedDoc(state: EditorState): PMNode {
  const s = activeSuggestion(state);
  return s && s.sugTo > s.sugFrom ? state.tr.delete(s.sugFrom, s.sugTo).doc : state.doc;
}

export function htmlOf(editor: Editor): string {
  return getHTMLFromFragment(committedDoc(editor.state).content, editor.schema);
}

export function markdownOf(editor: Editor, doc: PMNode = committedDoc(editor.state)): string {
  const md = editor.markdown;
  return md ? tidyMarkdown(md.serialize(doc.toJSON() as JSONContent)) : doc.textContent;
}

/**
 * The serializer leaves extra blank lines around some blocks (tables); Markdown means the same with
 * one, and one makes import → export a fixed point. Fenced code keeps its own blank lines.
 */
function tidyMarkdown(md: string): string {
  return md
    .split(/(^```[\s\S]*?^```$)/m)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\n{3,}/g, '\n\n')))
    .join('')
    .replace(/^\n+|\n+$/g, '');
}

/** Markdown (an AI answer) as a document node of this editor's schema. */
export function parseMarkdown(editor: Editor, markdown: string): PMNode {
  const md = editor.markdown;
  if (!md) return plainDoc(editor.schema, markdown);
  try {
    return editor.schema.nodeFromJSON(md.parse(markdown));
  } catch {
    return plainDoc(editor.schema, markdown);
  }
}

/** A range of the document as Markdown (the text an AI command works on). */
export function markdownBetween(editor: Editor, from: number, to: number): string {
  const slice = editor.state.doc.slice(from, to);
  const doc = editor.schema.topNodeType.createAndFill(null, slice.content.firstChild?.isInline ? editor.schema.nodes.paragraph.create(null, slice.content) : slice.content);
  return doc ? markdownOf(editor, doc).trim() : editor.state.doc.textBetween(from, to, '\n\n', '\n');
}

/** Words in the document: CJK characters count one each, other text by spaces. */
export function wordCount(text: string): number {
  const cjk = text.match(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/g)?.length ?? 0;
  const rest = text.replace(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/g, ' ').match(/\S+/g)?.length ?? 0;
  return cjk + rest;
}
