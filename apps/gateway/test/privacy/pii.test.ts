/**
 * The personal-data finders and the per-call redaction, on their own: each kind found where it is
 * and not where it only looks like one (a resident ID number with a wrong check character, a card
 * number failing Luhn, an impossible address).
 */
import { describe, expect, it } from 'vitest';
import { idNumberValid, luhnValid, PiiFinder, type PiiKind } from '../../src/privacy/pii.js';
import { Redaction } from '../../src/privacy/redaction.js';
import { StreamRestorer } from '../../src/privacy/stream.js';

const ALL: PiiKind[] = ['email', 'phone', 'id_number', 'bank_card', 'ip'];
const redact = (text: string, kinds: PiiKind[] = ALL, patterns: { name: string; pattern: string }[] = []) => new Redaction(new PiiFinder(kinds, patterns), text).redact(text);

describe('personal-data finders', () => {
  it('email addresses', () => {
    expect(redact('write to li.lei+work@mail.example.com.cn now')).toBe('write to [EMAIL_1] now');
    expect(redact('联系邮箱:zhang_san@qq.com谢谢')).toBe('联系邮箱:[EMAIL_1]谢谢');
    expect(redact('not an address: user@localhost or @handle')).toBe('not an address: user@localhost or @handle');
  });

  it('mainland China mobile numbers, plain, spaced and with +86', () => {
    expect(redact('手机13812345678')).toBe('手机[PHONE_1]');
    expect(redact('call 138 1234 5678 or 139-8765-4321')).toBe('call [PHONE_1] or [PHONE_2]');
    expect(redact('from +86 13812345678')).toBe('from [PHONE_1]');
    // 12 digits is not a mobile number; 12 is not a mobile prefix.
    expect(redact('order 138123456789')).toBe('order 138123456789');
    expect(redact('code 12812345678')).toBe('code 12812345678');
  });

  it('mainland China landlines with their area code', () => {
    expect(redact('office 010-62345678, shop (0755)2345678, fax 021 54321234')).toBe('office [PHONE_1], shop [PHONE_2], fax [PHONE_3]');
    // Seven or eight digits alone are any number, not a phone number.
    expect(redact('invoice 62345678')).toBe('invoice 62345678');
  });

  it('international numbers in E.164', () => {
    expect(redact('US +14155552671, UK +44 20 7946 0958')).toBe('US [PHONE_1], UK [PHONE_2]');
    expect(redact('+1234')).toBe('+1234');
  });

  it('PRC resident ID numbers with a valid GB 11643 check character only', () => {
    expect(idNumberValid('11010519491231002X')).toBe(true);
    expect(idNumberValid('110105194912310021')).toBe(false);
    expect(idNumberValid('11010519491331002X')).toBe(false); // month 13: a checksum alone is not enough
    expect(redact('身份证11010519491231002X')).toBe('身份证[ID_NUMBER_1]');
    expect(redact('id 11010519491231002x ok')).toBe('id [ID_NUMBER_1] ok');
    expect(redact('身份证110105194912310021')).toBe('身份证110105194912310021');
  });

  it('bank cards passing Luhn, grouped or not', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('6222020200112233442')).toBe(false);
    expect(redact('card 4111 1111 1111 1111 and 6011-1111-1111-1117 and 5500000000000004')).toBe('card [BANK_CARD_1] and [BANK_CARD_2] and [BANK_CARD_3]');
    expect(redact('card 4111 1111 1111 1112')).toBe('card 4111 1111 1111 1112');
    expect(redact('tracking 4111111111111112')).toBe('tracking 4111111111111112');
  });

  it('IPv4 and IPv6 addresses, not versions, times or impossible octets', () => {
    expect(redact('from 192.168.1.20 and 2001:db8::8a2e:370:7334 and ::1 and fe80::1%')).toBe('from [IP_1] and [IP_2] and [IP_3] and [IP_4]%');
    expect(redact('version 1.2.3.4.5, at 12:30:45, 999.1.1.1')).toBe('version 1.2.3.4.5, at 12:30:45, 999.1.1.1');
    expect(redact('std::vector and a::b')).toBe('std::vector and a::b');
  });

  it('custom patterns, labelled by their name', () => {
    expect(redact('employee EMP-004512 asked', [], [{ name: 'employee id', pattern: 'EMP-\\d{6}' }])).toBe('employee [EMPLOYEE_ID_1] asked');
  });

  it('only the kinds asked for', () => {
    expect(redact(`mail a@b.co call 13812345678`, ['phone'])).toBe('mail a@b.co call [PHONE_1]');
  });
});

describe('restoring', () => {
  it('puts every whole placeholder back, and leaves the caller\'s literal ones', () => {
    const text = '[EMAIL_1] x@y.com 13812345678';
    const r = new Redaction(new PiiFinder(ALL), text);
    const red = r.redact(text);
    expect(red).toBe('[EMAIL_1] [EMAIL_2] [PHONE_1]');
    expect(r.restore(`got ${red}`)).toBe('got [EMAIL_1] x@y.com 13812345678');
  });

  it('a stream split inside a placeholder, one character per event, comes back whole', () => {
    const text = 'mail x@y.com now';
    const r = new Redaction(new PiiFinder(ALL), text);
    const reply = `you said ${r.redact(text)} [`;
    const s = new StreamRestorer('openai', r);
    let out = '';
    for (const ch of reply) out += s.pass(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ch }, finish_reason: null }] })}\n\n`);
    out += s.pass(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
    out += s.end();
    const deltas = out.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)).choices[0].delta.content ?? '');
    expect(deltas.join('')).toBe('you said mail x@y.com now [');
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('an event cut in two network chunks is kept until its end arrives', () => {
    const r = new Redaction(new PiiFinder(ALL), 'a@b.co');
    r.redact('a@b.co');
    const s = new StreamRestorer('openai', r);
    const event = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi [EMAIL_1]!' }, finish_reason: null }] })}\n\n`;
    expect(s.pass(event.slice(0, 20))).toBe('');
    expect(s.pass(event.slice(20))).toContain('hi a@b.co!');
  });
});
