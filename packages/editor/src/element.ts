/**
 * `<agi-editor>`: the custom element a page uses. It owns the chrome (toolbar, AI panel, review bar,
 * error line), the attributes, the events and the public methods; editing is engine.ts, the
 * gateway is ai-client.ts, the suggestion mechanics are suggestion.ts.
 *
 * Attributes: base-url, api-key, model, image-model, lang (en | zh-CN), theme (light | dark),
 * placeholder, readonly, panel ("open" | "closed").
 * Events (CustomEvent, bubbling): change, ai-start, ai-done, ai-error, ai-accept, ai-discard.
 * Methods: getHTML(), getMarkdown(), setContent(content, type), focus(), runCommand(), generateImage(),
 * stop(), accept(), discard().
 */
import type { Editor } from '@tiptap/core';
import { Selection } from '@tiptap/pm/state';
import { closeHistory } from '@tiptap/pm/history';
import { EditorAIError, EditorClient } from './ai-client.js';
import { committedDoc, createEngine, htmlOf, markdownBetween, markdownOf, parseMarkdown, wordCount } from './engine.js';
import { pickLang, STRINGS, type Lang, type Strings } from './i18n.js';
import { buildPrompt, CURSOR_COMMANDS, isSelectionCommand, LANGUAGES, TONES, type CommandOptions, type TextCommand } from './prompts.js';
import { installStyles } from './styles.js';
import { acceptSuggestion, activeSuggestion, beginSuggestion, clearSuggestion, SuggestionWriter } from './suggestion.js';

export type AICommand = TextCommand | 'image';

interface Run {
  command: AICommand;
  model: string;
  controller: AbortController;
  /** The answer so far (the whole answer once done). */
  text: string;
  streaming: boolean;
  target: 'replace' | 'insert' | 'panel' | 'image';
  writer?: SuggestionWriter;
}

const ATTRS = ['base-url', 'api-key', 'model', 'image-model', 'lang', 'theme', 'placeholder', 'readonly', 'panel'] as const;

export class AgiEditorElement extends HTMLElement {
  static get observedAttributes(): readonly string[] {
    return ATTRS;
  }

  #editor: Editor | null = null;
  #client: EditorClient | null = null;
  #clientKey = '';
  #run: Run | null = null;
  #lastCost: number | null = null;
  #balance: number | null = null;
  #ui!: {
    toolbar: HTMLElement;
    content: HTMLElement;
    panel: HTMLElement;
    review: HTMLElement;
    reviewMsg: HTMLElement;
    stopBtn: HTMLButtonElement;
    acceptBtn: HTMLButtonElement;
    discardBtn: HTMLButtonElement;
    error: HTMLElement;
    footer: HTMLElement;
  };
  #toolbarRefresh = 0;
  #countTimer: ReturnType<typeof setTimeout> | undefined;
  #destroyTimer: ReturnType<typeof setTimeout> | undefined;

  // ---- lifecycle -------------------------------------------------------------------------------

  connectedCallback(): void {
    clearTimeout(this.#destroyTimer);
    if (this.#editor) return;
    // Defined before the parser reached our children (a script that ran early): wait for them,
    // they are the initial content.
    if (this.ownerDocument.readyState === 'loading' && !this.firstChild) {
      this.ownerDocument.addEventListener('DOMContentLoaded', () => this.isConnected && this.connectedCallback(), { once: true });
      return;
    }
    installStyles(this.ownerDocument);
    const initial = this.#initialContent();
    this.replaceChildren();
    this.#buildChrome();
    this.#editor = createEngine(
      this.#ui.content,
      {
        placeholder: () => this.getAttribute('placeholder') ?? this.#t.placeholder,
        onEscape: () => this.#onEscape(),
        onAcceptKey: () => (this.#reviewable() ? (this.accept(), true) : false),
        onUndoKey: () => (activeSuggestion(this.#editor!.state) ? (this.discard(), true) : false),
        onUserChange: () => this.#changed(),
        onSelectionOrState: () => this.#scheduleToolbar(),
      },
      initial,
    );
    this.#editor.setEditable(!this.hasAttribute('readonly'));
    this.#renderChrome();
    this.#updateCount();
    void this.#refreshBalance();
  }

  disconnectedCallback(): void {
    // Moving the element in the page disconnects and reconnects it at once: keep the editor then.
    this.#destroyTimer = setTimeout(() => {
      if (this.isConnected) return;
      this.#run?.controller.abort();
      this.#editor?.destroy();
      this.#editor = null;
    }, 0);
  }

  attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (old === value || !this.#editor) return;
    if (name === 'readonly') this.#editor.setEditable(value === null);
    if (name === 'base-url' || name === 'api-key') {
      this.#balance = null;
      void this.#refreshBalance();
    }
    if (name === 'placeholder' || name === 'lang') {
      // Decorations (the placeholder) are recomputed on any transaction; this one changes nothing.
      const view = this.#editor.view;
      view.dispatch(view.state.tr.setMeta('addToHistory', false));
    }
    this.#renderChrome();
  }

  // ---- public API --------------------------------------------------------------------------------

  /** The document as HTML (a suggestion still under review is not part of it). */
  getHTML(): string {
    return this.#editor ? htmlOf(this.#editor) : '';
  }

  /** The document as Markdown (CommonMark with GitHub tables). */
  getMarkdown(): string {
    return this.#editor ? markdownOf(this.#editor) : '';
  }

  /** The document as plain text. */
  getText(): string {
    return this.#editor ? committedDoc(this.#editor.state).textBetween(0, committedDoc(this.#editor.state).content.size, '\n\n', '\n') : '';
  }

  /** Replaces the whole document (HTML by default, or Markdown). A running AI action is stopped and its suggestion dropped. */
  setContent(content: string, type: 'html' | 'markdown' = 'html'): void {
    if (!this.#editor) return;
    this.#cancelRun();
    this.#editor.commands.setContent(content, { contentType: type, emitUpdate: true });
  }

  override focus(): void {
    this.#editor?.commands.focus();
  }

  /** Runs an AI text command on the selection (or at the cursor for continueWriting, fromOutline, summarize). */
  async runCommand(command: TextCommand, options: CommandOptions = {}): Promise<void> {
    const editor = this.#editor;
    if (!editor || this.#run?.streaming) return;
    if (activeSuggestion(editor.state)) this.discard();
    this.#hideError();
    const { from, to, empty } = textRange(editor);
    const selection = empty ? '' : markdownBetween(editor, from, to);
    if (isSelectionCommand(command) && !selection.trim()) return this.#notice(this.#t.selectFirst);
    const document = command === 'summarize' ? markdownOf(editor) : '';
    if (command === 'summarize' && !document.trim()) return this.#notice(this.#t.nothingToSummarize);
    const before = CURSOR_COMMANDS.includes(command as never) ? markdownBetween(editor, 0, to) : '';
    const prompt = buildPrompt(command, { selection, before, document }, options);
    const client = this.#clientOrError(command);
    if (!client) return;
    const model = this.getAttribute('model') ?? '';

    const run: Run = { command, model, controller: new AbortController(), text: '', streaming: true, target: prompt.target };
    this.#run = run;
    if (prompt.target !== 'panel') {
      // fromOutline with a selection replaces the outline; other cursor commands insert after the selection.
      const replace = prompt.target === 'replace' || (command === 'fromOutline' && !empty);
      beginSuggestion(editor.view, replace ? from : to, to);
      run.writer = new SuggestionWriter(editor.view);
      run.target = replace ? 'replace' : 'insert';
    } else this.#explainBox().hidden = false;
    this.#showReview(this.#t.generating);
    this.#emit('ai-start', { command, model });
    try {
      const result = await client.streamChat(
        model,
        [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        (piece) => {
          run.text += piece;
          if (run.writer) run.writer.write(piece);
          else this.#explainBox().textContent = run.text;
        },
        run.controller.signal,
      );
      run.text = result.text || run.text;
      run.streaming = false;
      this.#lastCost = result.cost;
      if (this.#run !== run) return;
      this.#emit('ai-done', { command, model, text: run.text, cost: result.cost, stopped: result.stopped });
      if (run.target === 'panel') {
        this.#run = null;
        this.#hideReview();
      } else this.#showReview(result.stopped ? this.#t.stopped : this.#t.review);
    } catch (err) {
      run.streaming = false;
      this.#failed(run, err);
    } finally {
      this.#renderStatus();
      void this.#refreshBalance();
    }
  }

  /** Generates an image from the prompt (or the selected text) and inserts it after the selection. */
  async generateImage(prompt?: string): Promise<void> {
    const editor = this.#editor;
    if (!editor || this.#run?.streaming) return;
    if (activeSuggestion(editor.state)) this.discard();
    this.#hideError();
    const { from, to, empty } = editor.state.selection;
    const text = (prompt ?? '').trim() || (empty ? '' : editor.state.doc.textBetween(from, to, '\n', ' ').trim());
    if (!text) return this.#notice(this.#t.selectFirst);
    const client = this.#clientOrError('image');
    if (!client) return;
    const model = this.getAttribute('image-model') ?? '';
    const run: Run = { command: 'image', model, controller: new AbortController(), text, streaming: true, target: 'image' };
    this.#run = run;
    this.#showReview(this.#t.generatingImage);
    this.#emit('ai-start', { command: 'image', model });
    try {
      const img = await client.generateImage(model, text, run.controller.signal);
      run.streaming = false;
      if (this.#run !== run || !this.#editor) return;
      this.#run = null;
      this.#lastCost = img.cost;
      this.#hideReview();
      // Where the selection ends now (the user may have typed meanwhile), as one undoable step.
      const at = this.#editor.state.selection.to;
      // closeHistory: the insertion is its own undo event even when it lands within the history's
      // grouping delay (500 ms) of the user's last keystroke, so one undo removes the image alone.
      this.#editor
        .chain()
        .command(({ tr }) => (closeHistory(tr), true))
        .insertContentAt(at, { type: 'image', attrs: { src: img.src, alt: text.slice(0, 200), title: img.revisedPrompt ?? null } })
        .run();
      this.#emit('ai-done', { command: 'image', model, text, cost: img.cost, stopped: false });
    } catch (err) {
      run.streaming = false;
      if (run.controller.signal.aborted) {
        this.#run = null;
        this.#hideReview();
      } else this.#failed(run, err);
    } finally {
      this.#renderStatus();
      void this.#refreshBalance();
    }
  }

  /** Stops the running AI action; what was written so far stays for review. */
  stop(): void {
    this.#run?.controller.abort();
  }

  /** Replaces the original text with the suggestion: one undo step brings the original back. */
  accept(): void {
    const editor = this.#editor;
    const run = this.#run;
    if (!editor || !run || run.target === 'panel' || run.target === 'image') return;
    if (run.streaming) run.controller.abort();
    run.writer?.dispose();
    const text = run.text.trim();
    this.#run = null;
    this.#hideReview();
    if (!text) {
      clearSuggestion(editor.view);
    } else {
      acceptSuggestion(editor.view, parseMarkdown(editor, text));
    }
    this.#emit('ai-accept', { command: run.command, text });
    editor.commands.focus();
  }

  /** Drops the suggestion: the document is as it was before the action. */
  discard(): void {
    const editor = this.#editor;
    const run = this.#run;
    if (run?.streaming) run.controller.abort();
    run?.writer?.dispose();
    this.#run = null;
    this.#hideReview();
    if (editor && activeSuggestion(editor.state)) clearSuggestion(editor.view);
    if (run) {
      this.#emit('ai-discard', { command: run.command });
      editor?.commands.focus();
    }
  }

  /** The TipTap editor itself, for pages that need more (commands, extensions' APIs). */
  get editor(): Editor | null {
    return this.#editor;
  }

  // ---- AI plumbing -------------------------------------------------------------------------------

  get #t(): Strings {
    return STRINGS[this.#lang];
  }

  get #lang(): Lang {
    return pickLang(this.getAttribute('lang') ?? this.ownerDocument.documentElement.lang);
  }

  #clientOrError(command: AICommand): EditorClient | null {
    const baseUrl = this.getAttribute('base-url') ?? '';
    const apiKey = this.getAttribute('api-key') ?? '';
    if (!apiKey) {
      this.#showError(new EditorAIError('config', 'api-key is not set.'), command);
      return null;
    }
    const id = `${baseUrl}\n${apiKey}`;
    if (!this.#client || this.#clientKey !== id) {
      this.#client = new EditorClient({ baseUrl, apiKey });
      this.#clientKey = id;
    }
    return this.#client;
  }

  #failed(run: Run, err: unknown): void {
    // The user's text is never touched by a failure: only the streamed part goes.
    if (this.#editor && activeSuggestion(this.#editor.state)) clearSuggestion(this.#editor.view);
    run.writer?.dispose();
    if (this.#run === run) this.#run = null;
    this.#hideReview();
    const e = err instanceof EditorAIError ? err : new EditorAIError('other', err instanceof Error ? err.message : String(err));
    this.#showError(e, run.command);
  }

  #cancelRun(): void {
    if (!this.#run) return;
    this.discard();
  }

  #reviewable(): boolean {
    return !!this.#run && !this.#run.streaming && (this.#run.target === 'replace' || this.#run.target === 'insert');
  }

  #onEscape(): boolean {
    if (this.#run?.streaming) {
      this.stop();
      return true;
    }
    if (this.#reviewable()) {
      this.discard();
      return true;
    }
    return false;
  }

  async #refreshBalance(): Promise<void> {
    const apiKey = this.getAttribute('api-key');
    if (!apiKey) return;
    const client = this.#clientOrQuiet();
    if (!client) return;
    this.#balance = await client.balance();
    this.#renderStatus();
  }

  #clientOrQuiet(): EditorClient | null {
    const apiKey = this.getAttribute('api-key') ?? '';
    if (!apiKey) return null;
    const baseUrl = this.getAttribute('base-url') ?? '';
    const id = `${baseUrl}\n${apiKey}`;
    if (!this.#client || this.#clientKey !== id) {
      this.#client = new EditorClient({ baseUrl, apiKey });
      this.#clientKey = id;
    }
    return this.#client;
  }

  #emit(type: string, detail: Record<string, unknown>): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  #changed(): void {
    this.#emit('change', {});
    clearTimeout(this.#countTimer);
    // The word count reads the whole text: after a pause, never on each keystroke of a long document.
    this.#countTimer = setTimeout(() => this.#updateCount(), 400);
  }

  #updateCount(): void {
    if (!this.#editor || !this.#ui) return;
    const doc = this.#editor.state.doc;
    const n = wordCount(doc.textBetween(0, doc.content.size, ' ', ' '));
    this.#ui.footer.textContent = `${n.toLocaleString(this.#lang)} ${this.#t.words}`;
  }

  // ---- chrome ------------------------------------------------------------------------------------

  #initialContent(): { content: string; type: 'html' | 'markdown' } {
    const md = this.querySelector('script[type="text/markdown"]');
    if (md) return { content: dedent(md.textContent ?? ''), type: 'markdown' };
    const tpl = this.querySelector('template');
    return { content: tpl ? tpl.innerHTML : this.innerHTML.trim(), type: 'html' };
  }

  #buildChrome(): void {
    const el = (tag: string, cls?: string) => {
      const e = this.ownerDocument.createElement(tag);
      if (cls) e.className = cls;
      return e;
    };
    const frame = el('div', 'agi-frame');
    const toolbar = el('div', 'agi-toolbar');
    toolbar.setAttribute('role', 'toolbar');
    const body = el('div', 'agi-body');
    const content = el('div', 'agi-content');
    const panel = el('aside', 'agi-panel');
    const review = el('div', 'agi-review');
    review.setAttribute('role', 'status');
    review.setAttribute('aria-live', 'polite');
    const reviewMsg = el('span', 'agi-msg');
    const stopBtn = el('button', 'agi-stop') as HTMLButtonElement;
    const acceptBtn = el('button', 'agi-accept agi-primary') as HTMLButtonElement;
    const discardBtn = el('button', 'agi-discard') as HTMLButtonElement;
    for (const b of [stopBtn, acceptBtn, discardBtn]) b.type = 'button';
    stopBtn.addEventListener('click', () => this.stop());
    acceptBtn.addEventListener('click', () => this.accept());
    discardBtn.addEventListener('click', () => this.discard());
    review.append(reviewMsg, stopBtn, acceptBtn, discardBtn);
    review.hidden = true;
    const error = el('div', 'agi-error');
    error.setAttribute('role', 'alert');
    error.hidden = true;
    const footer = el('div', 'agi-footer');
    body.append(content, panel);
    frame.append(toolbar, body, review, error, footer);
    this.append(frame);
    this.#ui = { toolbar, content, panel, review, reviewMsg, stopBtn, acceptBtn, discardBtn, error, footer };
  }

  /** Labels follow `lang`; built again when it (or the models) change. Cheap: a few dozen nodes. */
  #renderChrome(): void {
    if (!this.#editor) return;
    const t = this.#t;
    this.lang = this.#lang;
    this.#renderToolbar(t);
    this.#renderPanel(t);
    this.#ui.stopBtn.textContent = t.stop;
    this.#ui.acceptBtn.textContent = t.accept;
    this.#ui.discardBtn.textContent = t.discard;
    this.#updateCount();
  }

  #renderToolbar(t: Strings): void {
    const ed = this.#editor!;
    const items: ([string, string, string, () => boolean, (() => boolean)?] | null)[] = [
      ['undo', '↶', t.undo, () => ed.chain().focus().undo().run()],
      ['redo', '↷', t.redo, () => ed.chain().focus().redo().run()],
      null,
      ['h1', 'H1', t.h1, () => ed.chain().focus().toggleHeading({ level: 1 }).run(), () => ed.isActive('heading', { level: 1 })],
      ['h2', 'H2', t.h2, () => ed.chain().focus().toggleHeading({ level: 2 }).run(), () => ed.isActive('heading', { level: 2 })],
      ['h3', 'H3', t.h3, () => ed.chain().focus().toggleHeading({ level: 3 }).run(), () => ed.isActive('heading', { level: 3 })],
      null,
      ['bold', 'B', t.bold, () => ed.chain().focus().toggleBold().run(), () => ed.isActive('bold')],
      ['italic', 'I', t.italic, () => ed.chain().focus().toggleItalic().run(), () => ed.isActive('italic')],
      ['strike', 'S', t.strike, () => ed.chain().focus().toggleStrike().run(), () => ed.isActive('strike')],
      ['code', '</>', t.code, () => ed.chain().focus().toggleCode().run(), () => ed.isActive('code')],
      ['link', '↗', t.link, () => this.#promptLink(t), () => ed.isActive('link')],
      null,
      ['bulletList', '•', t.bulletList, () => ed.chain().focus().toggleBulletList().run(), () => ed.isActive('bulletList')],
      ['orderedList', '1.', t.orderedList, () => ed.chain().focus().toggleOrderedList().run(), () => ed.isActive('orderedList')],
      ['quote', '❝', t.quote, () => ed.chain().focus().toggleBlockquote().run(), () => ed.isActive('blockquote')],
      ['codeBlock', '{ }', t.codeBlock, () => ed.chain().focus().toggleCodeBlock().run(), () => ed.isActive('codeBlock')],
      ['table', '▦', t.table, () => ed.chain().focus().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run()],
      ['image', '▨', t.image, () => this.#promptImage(t)],
    ];
    const bar = this.#ui.toolbar;
    bar.replaceChildren();
    for (const item of items) {
      if (!item) {
        bar.append(Object.assign(this.ownerDocument.createElement('span'), { className: 'agi-sep' }));
        continue;
      }
      const [id, icon, label, run, active] = item;
      const b = this.#button(icon, label, run);
      b.dataset.cmd = id;
      if (active) b.setAttribute('aria-pressed', String(active()));
      bar.append(b);
    }
    const ai = this.#button(`✦ ${t.ai}`, t.aiPanel, () => {
      this.setAttribute('panel', this.#ui.panel.hidden ? 'open' : 'closed');
      return true;
    });
    ai.classList.add('agi-ai-toggle');
    ai.dataset.cmd = 'ai';
    bar.append(ai);
  }

  #button(text: string, label: string, run: () => boolean | void): HTMLButtonElement {
    const b = this.ownerDocument.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.title = label;
    b.setAttribute('aria-label', label);
    // Keep the editor's focus and selection: the command acts on them.
    b.addEventListener('mousedown', (e) => e.preventDefault());
    b.addEventListener('click', () => void run());
    return b;
  }

  #scheduleToolbar(): void {
    if (this.#toolbarRefresh) return;
    this.#toolbarRefresh = requestAnimationFrame(() => {
      this.#toolbarRefresh = 0;
      const ed = this.#editor;
      if (!ed) return;
      for (const b of Array.from(this.#ui.toolbar.querySelectorAll<HTMLButtonElement>('button[aria-pressed]'))) {
        const cmd = b.dataset.cmd!;
        const on =
          cmd === 'h1' || cmd === 'h2' || cmd === 'h3' ? ed.isActive('heading', { level: Number(cmd[1]) }) : ed.isActive(cmd === 'quote' ? 'blockquote' : cmd);
        b.setAttribute('aria-pressed', String(on));
      }
      const undo = this.#ui.toolbar.querySelector<HTMLButtonElement>('[data-cmd="undo"]');
      const redo = this.#ui.toolbar.querySelector<HTMLButtonElement>('[data-cmd="redo"]');
      if (undo) undo.disabled = !ed.can().undo();
      if (redo) redo.disabled = !ed.can().redo();
    });
  }

  #promptLink(t: Strings): boolean {
    const ed = this.#editor!;
    const current = (ed.getAttributes('link').href as string | undefined) ?? '';
    const href = prompt(t.linkPrompt, current);
    if (href === null) return false;
    if (!href.trim()) return ed.chain().focus().extendMarkRange('link').unsetLink().run();
    return ed.chain().focus().extendMarkRange('link').setLink({ href: href.trim() }).run();
  }

  #promptImage(t: Strings): boolean {
    const src = prompt(t.imagePrompt, 'https://');
    if (!src || !/^(https?:|data:image\/)/i.test(src.trim())) return false;
    return this.#editor!.chain().focus().setImage({ src: src.trim() }).run();
  }

  #renderPanel(t: Strings): void {
    const panel = this.#ui.panel;
    const open = this.getAttribute('panel') !== 'closed';
    panel.hidden = !open;
    panel.setAttribute('aria-label', t.aiPanel);
    const d = this.ownerDocument;
    const h = (tag: string, text: string, cls?: string) => Object.assign(d.createElement(tag), { textContent: text, ...(cls ? { className: cls } : {}) });
    const cmdButton = (cmd: TextCommand, label: string, opts: () => CommandOptions = () => ({})) => {
      const b = this.#button(label, label, () => void this.runCommand(cmd, opts()));
      b.dataset.ai = cmd;
      return b;
    };
    const select = (name: string, options: [string, string][]) => {
      const s = d.createElement('select');
      s.name = name;
      s.setAttribute('aria-label', name);
      for (const [value, label] of options) s.append(Object.assign(d.createElement('option'), { value, textContent: label }));
      return s;
    };

    const title = h('h3', t.aiPanel);
    const close = this.#button('×', t.close, () => {
      this.setAttribute('panel', 'closed');
      return true;
    });
    title.append(close);

    const sel = d.createElement('div');
    sel.className = 'agi-grid';
    sel.append(cmdButton('polish', t.polish), cmdButton('shorten', t.shorten), cmdButton('expand', t.expand), cmdButton('fixGrammar', t.fixGrammar), cmdButton('explain', t.explain));

    const toneSel = select('tone', TONES.map((x) => [x, t.tones[x]]));
    const toneRow = d.createElement('div');
    toneRow.className = 'agi-row';
    toneRow.append(cmdButton('tone', t.tone, () => ({ tone: toneSel.value as CommandOptions['tone'] })), toneSel);

    const langSel = select('language', [['auto', 'zh ↔ en'], ...LANGUAGES.map((x) => [x, t.languages[x]] as [string, string])]);
    const langRow = d.createElement('div');
    langRow.className = 'agi-row';
    langRow.append(cmdButton('translate', t.translate, () => (langSel.value === 'auto' ? {} : { language: langSel.value as CommandOptions['language'] })), langSel);

    const instr = d.createElement('textarea');
    instr.name = 'instruction';
    instr.placeholder = t.instructionPlaceholder;
    instr.setAttribute('aria-label', t.instruction);
    const instrRow = d.createElement('div');
    instrRow.className = 'agi-row';
    instrRow.append(instr, cmdButton('instruction', t.run, () => ({ instruction: instr.value })));

    const cursor = d.createElement('div');
    cursor.className = 'agi-grid';
    cursor.append(cmdButton('continueWriting', t.continueWriting), cmdButton('fromOutline', t.fromOutline), cmdButton('summarize', t.summarize));

    const imgPrompt = d.createElement('textarea');
    imgPrompt.name = 'image-prompt';
    imgPrompt.placeholder = t.imagePlaceholder;
    imgPrompt.setAttribute('aria-label', t.imageGen);
    const imgBtn = this.#button(t.generate, t.imageGen, () => void this.generateImage(imgPrompt.value));
    imgBtn.dataset.ai = 'image';
    const imgRow = d.createElement('div');
    imgRow.className = 'agi-row';
    imgRow.append(imgPrompt, imgBtn);

    const explain = d.createElement('div');
    explain.className = 'agi-explain';
    explain.hidden = true;
    explain.setAttribute('aria-label', t.explanation);

    const status = d.createElement('dl');
    status.className = 'agi-status';

    panel.replaceChildren(title, h('h4', t.onSelection), sel, toneRow, langRow, instrRow, h('h4', t.atCursor), cursor, h('h4', t.imageGen), imgRow, explain, status);
    this.#renderStatus();
  }

  #explainBox(): HTMLElement {
    return this.#ui.panel.querySelector<HTMLElement>('.agi-explain')!;
  }

  #renderStatus(): void {
    const status = this.#ui?.panel.querySelector('.agi-status');
    if (!status) return;
    const t = this.#t;
    const rows: [string, string, string][] = [
      ['model', t.model, this.getAttribute('model') || t.notSet],
      ['image-model', t.imageModel, this.getAttribute('image-model') || t.notSet],
      ['cost', t.lastCost, this.#lastCost === null ? t.notSet : `${formatP(this.#lastCost)} P`],
    ];
    // Shown only when the key may read the account (the gateway answered).
    if (this.#balance !== null) rows.push(['balance', t.balance, `${formatP(this.#balance)} P`]);
    status.replaceChildren(
      ...rows.flatMap(([key, label, value]) => {
        const dt = this.ownerDocument.createElement('dt');
        dt.textContent = label;
        const dd = this.ownerDocument.createElement('dd');
        dd.textContent = value;
        dd.dataset.status = key;
        return [dt, dd];
      }),
    );
  }

  #showReview(message: string): void {
    const { review, reviewMsg, stopBtn, acceptBtn, discardBtn } = this.#ui;
    const streaming = !!this.#run?.streaming;
    const reviewable = this.#reviewable();
    reviewMsg.textContent = message;
    stopBtn.hidden = !streaming;
    acceptBtn.hidden = !reviewable;
    discardBtn.hidden = !(reviewable || (streaming && this.#run?.target !== 'image' && this.#run?.target !== 'panel'));
    review.hidden = false;
  }

  #hideReview(): void {
    this.#ui.review.hidden = true;
  }

  #notice(message: string): void {
    const { review, reviewMsg, stopBtn, acceptBtn, discardBtn } = this.#ui;
    reviewMsg.textContent = message;
    stopBtn.hidden = acceptBtn.hidden = discardBtn.hidden = true;
    review.hidden = false;
  }

  #showError(e: EditorAIError, command: AICommand): void {
    const t = this.#t;
    const box = this.#ui.error;
    box.dataset.kind = e.kind;
    const p = this.ownerDocument.createElement('p');
    p.textContent = `${t.errors[e.kind]} ${t.textKept}`;
    if (e.message) {
      const small = this.ownerDocument.createElement('small');
      small.textContent = `${t.errorDetail}: ${e.message}${e.requestId ? ` (${e.requestId})` : ''}`;
      p.append(small);
    }
    const dismiss = this.#button(t.dismiss, t.dismiss, () => {
      this.#hideError();
      return true;
    });
    box.replaceChildren(p, dismiss);
    box.hidden = false;
    this.#emit('ai-error', { command, kind: e.kind, message: e.message, status: e.status, code: e.code, requestId: e.requestId });
  }

  #hideError(): void {
    this.#ui.error.hidden = true;
  }
}

/**
 * The selection as positions inside text blocks. Select-all (and a click beside a table or image)
 * gives positions between blocks, where streamed text cannot go: the range shrinks to the first and
 * last text positions it covers.
 */
function textRange(editor: Editor): { from: number; to: number; empty: boolean } {
  const { doc, selection } = editor.state;
  const start = Selection.findFrom(doc.resolve(selection.from), 1, true);
  const end = Selection.findFrom(doc.resolve(selection.to), -1, true);
  if (!start || !end) return { from: selection.from, to: selection.to, empty: selection.empty };
  if (selection.empty || end.to <= start.from) {
    const at = selection.empty && selection.$from.parent.isTextblock ? selection.from : end.to;
    return { from: at, to: at, empty: true };
  }
  return { from: start.from, to: end.to, empty: false };
}

/** P with as many decimals as it needs (at most 6, the gateway's micro-P), never in exponent form. */
function formatP(v: number): string {
  return v.toFixed(6).replace(/\.?0+$/, '') || '0';
}

/** Markdown written indented inside HTML: the common indentation goes. */
function dedent(text: string): string {
  const lines = text.replace(/^\n+|\s+$/g, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^\s*/)![0].length));
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}
