import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { GatewayError } from '../core/errors.js';

/**
 * Password strength as zxcvbn estimates it: the number of guesses an attacker who knows common
 * passwords, keyboard patterns, dates, repeats and l33t spellings would need, as a score from 0 to 4.
 * Only the common (language-neutral) dictionaries are loaded: the list of leaked passwords, diceware
 * words and keyboard layouts, which is what the guessing tools start with.
 */
let factory: Promise<ZxcvbnFactory> | undefined;

function zxcvbn(): Promise<ZxcvbnFactory> {
  // Loaded and built at first use: the dictionaries take about 17 MB of memory to load and 80 ms to
  // rank, and a gateway that never sees a sign-up or a password change need not pay for them
  // (docs/architecture.md, "Start and idle memory").
  // Scoring grows faster than the length; past 100 characters a password is strong anyway, and a
  // 256-character one would cost the event loop a fifth of a second.
  factory ??= Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common')]).then(
    ([{ ZxcvbnFactory }, { adjacencyGraphs, dictionary }]) => new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: 100 }),
  );
  return factory;
}

/** Why zxcvbn found a password weak, in words (its own texts come with a language pack we do not load). */
const WARNINGS: Record<string, string> = {
  straightRow: 'it is a row of keys',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats a character',
  extendedRepeat: 'it repeats a group of characters',
  sequences: 'it is a sequence such as abc or 6543',
  recentYears: 'it contains a recent year',
  dates: 'it contains a date',
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is close to a commonly used password',
  wordByItself: 'it is a single word',
  namesByThemselves: 'it is a name',
  commonNames: 'it is a common name',
  userInputs: 'it contains your email address or name',
  pwned: 'it appeared in a data breach',
};

export interface StrengthPolicy {
  /** Lowest zxcvbn score accepted (0-4); 0 checks nothing beyond the length. */
  minScore: number;
}

/**
 * Refuses a password chosen by its user that is too easy to guess: 400 `weak_password` naming the
 * field. `related` are the account's own words (email, name): a password built on them is weak.
 */
export async function checkPasswordStrength(password: string, policy: StrengthPolicy, related: readonly string[], param = 'password'): Promise<void> {
  if (policy.minScore <= 0) return;
  // The whole value, an email's local part, and each of their words: `zhang.wei.2024` and `zhangwei`.
  const words = related.flatMap((w) => [w, w.split('@')[0], w.split('@')[0].replace(/[.\s_+-]+/g, ''), ...w.split(/[@.\s_+-]+/)]).filter((w) => w.length >= 3);
  const result = (await zxcvbn()).check(password, [...words, 'apigpt']);
  if (result.score >= policy.minScore) return;
  const why = (result.feedback.warning && WARNINGS[result.feedback.warning]) || 'it is built from common words or patterns';
  throw new GatewayError('invalid_request', `This password is too easy to guess: ${why}. Use a longer one, for example three or four unrelated words.`, {
    param,
    code: 'weak_password',
  });
}
