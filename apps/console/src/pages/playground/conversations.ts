import type { ChatMessage, ChatParams, Usage } from './relay';

/** A turn as the playground keeps it: the message plus what answering it cost. */
export interface Turn extends ChatMessage {
  /** An answer's model: the one asked (chats may switch model between turns), or the one the answer named. */
  model?: string;
  usage?: Usage | null;
  cost?: number | null;
  error?: string;
  stopped?: boolean;
}

export interface Conversation {
  id: string;
  title: string;
  model: string;
  system: string;
  params: ChatParams;
  turns: Turn[];
  updatedAt: number;
}

/** Conversations live only in this browser (localStorage), per user so a shared computer does not mix them. */
const keyFor = (userId: string) => `apigpt.chats.${userId}`;
const MAX_CONVERSATIONS = 50;

export function loadConversations(userId: string): Conversation[] {
  try {
    const raw = localStorage.getItem(keyFor(userId));
    const list = raw ? (JSON.parse(raw) as Conversation[]) : [];
    return Array.isArray(list) ? list.sort((a, b) => b.updatedAt - a.updatedAt) : [];
  } catch {
    return [];
  }
}

export function saveConversations(userId: string, list: Conversation[]): void {
  const kept = [...list].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, MAX_CONVERSATIONS);
  try {
    localStorage.setItem(keyFor(userId), JSON.stringify(kept));
  } catch {
    // Storage full or disabled: the chat still works, it just is not remembered.
  }
}

export function newConversation(model: string, previous?: Conversation): Conversation {
  return {
    id: `c_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`,
    title: '',
    model,
    // A new chat keeps the last one's setup: people iterate on a prompt more than they change it.
    system: previous?.system ?? '',
    params: previous?.params ?? { temperature: 0.7 },
    turns: [],
    updatedAt: Date.now(),
  };
}

export function titleFrom(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
