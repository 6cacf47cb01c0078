/**
 * The AI commands as data: what each one asks the model, what text it works on, and where its
 * answer goes. Selection commands replace the selection (after the user accepts); cursor commands
 * insert at the cursor; `explain` answers in the panel and never touches the document.
 */
export type SelectionCommand = 'polish' | 'shorten' | 'expand' | 'fixGrammar' | 'tone' | 'translate' | 'explain' | 'instruction';
export type CursorCommand = 'continueWriting' | 'fromOutline' | 'summarize';
export type TextCommand = SelectionCommand | CursorCommand;

export const SELECTION_COMMANDS: readonly SelectionCommand[] = ['polish', 'shorten', 'expand', 'fixGrammar', 'tone', 'translate', 'explain', 'instruction'];
export const CURSOR_COMMANDS: readonly CursorCommand[] = ['continueWriting', 'fromOutline', 'summarize'];
export const TONES = ['professional', 'friendly', 'casual', 'confident', 'formal'] as const;
export const LANGUAGES = ['en', 'zh-CN', 'ja', 'ko', 'fr', 'de', 'es'] as const;
export type Tone = (typeof TONES)[number];
export type Language = (typeof LANGUAGES)[number];

const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': 'Simplified Chinese', ja: 'Japanese', ko: 'Korean', fr: 'French', de: 'German', es: 'Spanish' };

export interface CommandOptions {
  tone?: Tone;
  /** Target language of `translate`. Default: Chinese for text that is mostly Latin, English otherwise. */
  language?: Language;
  /** The user's own instruction (`instruction`). */
  instruction?: string;
}

export interface CommandInput {
  /** The selected text (selection commands), as Markdown. */
  selection: string;
  /** The document before the cursor (cursor commands), as Markdown, trimmed to its end. */
  before: string;
  /** The whole document, as Markdown (summarize). */
  document: string;
}

export interface Prompt {
  system: string;
  user: string;
  /** Where the answer goes. */
  target: 'replace' | 'insert' | 'panel';
}

/** What the model must never do in the document: chat around the text. */
const ONLY_TEXT = 'Answer with the resulting text only: no preamble, no quotes around it, no explanation. Keep Markdown formatting (lists, emphasis, links) where the input has it.';
/** Cursor commands see this much of what comes before the cursor (characters): enough context, bounded cost. */
const CONTEXT_CHARS = 6000;

export function isSelectionCommand(c: TextCommand): c is SelectionCommand {
  return (SELECTION_COMMANDS as readonly string[]).includes(c);
}

/** Mostly CJK text translates to English by default, anything else to Chinese (the zh ↔ en pair). */
export function defaultTargetLanguage(text: string): Language {
  const cjk = (text.match(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]/g) ?? []).length;
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  return cjk > latin / 3 ? 'en' : 'zh-CN';
}

export function buildPrompt(command: TextCommand, input: CommandInput, opts: CommandOptions = {}): Prompt {
  const sel = input.selection;
  const same = 'Write in the same language as the text.';
  switch (command) {
    case 'polish':
      return { target: 'replace', system: `You are an editor. Polish the user's text: clearer, smoother, more precise, same meaning and roughly the same length. ${same} ${ONLY_TEXT}`, user: sel };
    case 'shorten':
      return { target: 'replace', system: `You are an editor. Shorten the user's text to about half its length, keeping every key point. ${same} ${ONLY_TEXT}`, user: sel };
    case 'expand':
      return { target: 'replace', system: `You are an editor. Expand the user's text to about twice its length with relevant detail and examples, same meaning and voice. ${same} ${ONLY_TEXT}`, user: sel };
    case 'fixGrammar':
      return { target: 'replace', system: `You are a proofreader. Fix spelling, grammar and punctuation in the user's text and change nothing else. ${same} ${ONLY_TEXT}`, user: sel };
    case 'tone':
      return { target: 'replace', system: `You are an editor. Rewrite the user's text in a ${opts.tone ?? 'professional'} tone, same meaning. ${same} ${ONLY_TEXT}`, user: sel };
    case 'translate': {
      const lang = opts.language ?? defaultTargetLanguage(sel);
      return { target: 'replace', system: `You are a translator. Translate the user's text into ${LANGUAGE_NAMES[lang]}, naturally, keeping its formatting. ${ONLY_TEXT}`, user: sel };
    }
    case 'explain':
      return { target: 'panel', system: `Explain the user's text briefly and plainly: what it means, terms a reader may not know. ${same}`, user: sel };
    case 'instruction':
      return { target: 'replace', system: `You are a writing assistant. Apply this instruction to the user's text: ${opts.instruction?.trim() || 'improve it'}. ${ONLY_TEXT}`, user: sel };
    case 'continueWriting':
      return { target: 'insert', system: `You are a co-author. Continue the user's document from where it ends, one or two paragraphs, same language, voice and format. Do not repeat the existing text. ${ONLY_TEXT}`, user: tail(input.before) };
    case 'fromOutline':
      return { target: 'insert', system: `You are a writer. The user's text is an outline (or notes): write the full piece it describes, in Markdown with headings where useful, same language. ${ONLY_TEXT}`, user: sel || tail(input.before) };
    case 'summarize':
      return { target: 'insert', system: `Summarize the user's document in a short paragraph (or a few bullet points for a long one), same language. ${ONLY_TEXT}`, user: input.document };
  }
}

function tail(text: string): string {
  return text.length > CONTEXT_CHARS ? text.slice(text.length - CONTEXT_CHARS) : text;
}
