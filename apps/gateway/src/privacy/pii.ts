import { isIPv4, isIPv6 } from 'node:net';

/** The kinds of personal data the redactor finds. */
export type PiiKind = 'email' | 'phone' | 'id_number' | 'bank_card' | 'ip';
export const PII_KINDS: readonly PiiKind[] = ['email', 'phone', 'id_number', 'bank_card', 'ip'];

/** An admin's own pattern: its name (the placeholder's label) and a JavaScript regular expression. */
export interface CustomPattern {
  name: string;
  pattern: string;
}

/** One piece of personal data in a text: where it is and what it is (the placeholder's label). */
export interface PiiSpan {
  start: number;
  end: number;
  label: string;
}

/** The placeholder label of each kind: `[EMAIL_1]`, `[PHONE_2]`… */
export const LABELS: Record<PiiKind, string> = { email: 'EMAIL', phone: 'PHONE', id_number: 'ID_NUMBER', bank_card: 'BANK_CARD', ip: 'IP' };

// Digits are bounded by "no digit (or letter) next to it", not \b: Chinese text has no spaces, and
// 电话13812345678 must still be found.
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;
/** PRC resident identity number (GB 11643-1999): 17 digits and a check character. */
const ID_NUMBER = /(?<![0-9A-Za-z])[1-9]\d{16}[0-9Xx](?![0-9A-Za-z])/g;
/** 13 to 19 digits, in one run or in groups of 4 separated by a space or a dash (checked by Luhn). */
const CARD = /(?<![0-9A-Za-z])(?:\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?|\d{13,19})(?![0-9A-Za-z])/g;
/** Mainland China mobile numbers: 1[3-9] and 9 digits, optionally +86 / 86 before, spaced 3-4-4 or not. */
const CN_MOBILE = /(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?![0-9A-Za-z])/g;
/** Mainland China landlines: an area code 0xx or 0xxx (in brackets or not) and 7 or 8 digits. */
const CN_LANDLINE = /(?<![0-9A-Za-z])(?:\(0\d{2,3}\)[ -]?|0\d{2,3}[ -]?)[2-9]\d{6,7}(?![0-9A-Za-z])/g;
/** International numbers in E.164: a plus, a country code and up to 15 digits in all (spaces or dashes allowed between digits). */
const E164 = /(?<![0-9A-Za-z+])\+[1-9](?:[ -]?\d){6,14}(?![0-9A-Za-z])/g;
const IPV4 = /(?<![0-9A-Za-z.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9A-Za-z]|\.\d)/g;
/** Candidates for IPv6 (hex digits and colons, an embedded IPv4 tail allowed), confirmed by node:net. */
const IPV6 = /(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::(?:\d{1,3}\.){3}\d{1,3})?(?![0-9A-Za-z:])/g;

/** GB 11643-1999's check character: weighted sum of the first 17 digits mod 11. */
export function idNumberValid(id: string): boolean {
  if (!/^[1-9]\d{16}[0-9Xx]$/.test(id)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * weights[i];
  if ('10X98765432'[sum % 11] !== id[17].toUpperCase()) return false;
  // The birth date (digits 7 to 14) must be a date: a checksum alone passes 1 in 11 random numbers.
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  return y >= 1800 && date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** The Luhn check of a card number (digits only). */
export function luhnValid(digits: string): boolean {
  if (!/^\d{13,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let n = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

type Finder = (text: string, into: PiiSpan[]) => void;

function matches(re: RegExp, label: string, accept: (m: string) => boolean = () => true): Finder {
  return (text, into) => {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) if (m[0] && accept(m[0])) into.push({ start: m.index, end: m.index + m[0].length, label });
  };
}

const ipv6Accept = (m: string) => /\d/.test(m) && (m.match(/:/g)?.length ?? 0) >= 2 && isIPv6(m);

/**
 * The finders of each kind, in the order they claim text: a national ID is 18 digits that could
 * also pass Luhn, so it is claimed first; an ID or a card is never read again as a phone number.
 */
const FINDERS: Record<PiiKind, Finder[]> = {
  email: [matches(EMAIL, LABELS.email)],
  id_number: [matches(ID_NUMBER, LABELS.id_number, idNumberValid)],
  bank_card: [matches(CARD, LABELS.bank_card, (m) => luhnValid(m.replace(/[ -]/g, '')))],
  phone: [matches(E164, LABELS.phone), matches(CN_MOBILE, LABELS.phone), matches(CN_LANDLINE, LABELS.phone)],
  ip: [matches(IPV4, LABELS.ip, isIPv4), matches(IPV6, LABELS.ip, ipv6Accept)],
};
const ORDER: PiiKind[] = ['email', 'id_number', 'bank_card', 'phone', 'ip'];

/** A custom pattern's label: upper-case letters, digits and underscores (it names the placeholder). */
export function customLabel(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 32) || 'CUSTOM';
}

/** Compiles an admin's pattern (global, Unicode); throws a SyntaxError when it is not a regular expression. */
export function compileCustom(p: CustomPattern): Finder {
  const re = new RegExp(p.pattern, 'gu');
  return matches(re, customLabel(p.name));
}

/** What a policy redacts: the kinds, and the admins' own patterns compiled. */
export class PiiFinder {
  private readonly finders: Finder[];

  constructor(kinds: readonly PiiKind[], custom: readonly CustomPattern[] = []) {
    // Custom patterns first: an admin's pattern names its data better than a generic kind would.
    this.finders = [...custom.map(compileCustom), ...ORDER.filter((k) => kinds.includes(k)).flatMap((k) => FINDERS[k])];
  }

  /** The personal data in `text`, in order, never overlapping (the first finder to claim text keeps it). */
  find(text: string): PiiSpan[] {
    const taken: PiiSpan[] = [];
    for (const finder of this.finders) {
      const found: PiiSpan[] = [];
      finder(text, found);
      for (const s of found) if (!taken.some((t) => s.start < t.end && t.start < s.end)) taken.push(s);
    }
    return taken.sort((a, b) => a.start - b.start);
  }
}
