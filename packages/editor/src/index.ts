/**
 * @apigpt/editor — `<agi-editor>`, a rich-text editor with AI writing and image generation through
 * an APIGPT gateway. Importing this module defines the element (once, even when loaded twice).
 */
import { AgiEditorElement } from './element.js';

export { AgiEditorElement, type AICommand } from './element.js';
export { EditorAIError, type ErrorKind } from './ai-client.js';
export { cleanPastedHTML } from './paste.js';
export { buildPrompt, SELECTION_COMMANDS, CURSOR_COMMANDS, TONES, LANGUAGES, type TextCommand, type CommandOptions, type Tone, type Language } from './prompts.js';
export { STRINGS, pickLang, type Lang, type Strings } from './i18n.js';
export { CSS } from './styles.js';

export const TAG = 'agi-editor';

if (typeof customElements !== 'undefined' && !customElements.get(TAG)) customElements.define(TAG, AgiEditorElement);

declare global {
  interface HTMLElementTagNameMap {
    'agi-editor': AgiEditorElement;
  }
}
