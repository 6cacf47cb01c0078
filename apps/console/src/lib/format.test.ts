import { describe, expect, it } from 'vitest';
import { csvCell, csvText } from './format';

/**
 * CSV injection (issue 14): a cell a spreadsheet would run as a formula — starting with `=`, `+`, `-`,
 * `@`, a tab or a carriage return — is written as text. The exports in Chromium (gateway
 * test/e2e/csv-export.e2e.test.ts) cover `=` and `+` end to end; every leading character is here.
 */
describe('csvCell', () => {
  it.each([
    ['=cmd|\' /C calc\'!A0', "'=cmd|' /C calc'!A0"],
    ['+1+1', "'+1+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
  ])('%j is written as text: %s', (value, cell) => {
    expect(csvCell(value)).toBe(cell);
  });

  it('leaves ordinary text, an email and numbers (negative too) as they are', () => {
    expect(csvCell('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(csvCell('ann@example.com')).toBe('ann@example.com');
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(null)).toBe('');
    expect(csvText(['a', 'b'], [['=x', 'y,z']])).toBe(`a,b\r\n'=x,"y,z"`);
  });
});
