import type { FieldSpec } from './fields.js';

/** The README's configuration table, made from the one list of settings. */
export function configTable(fields: readonly FieldSpec[]): string {
  const rows = fields.map((f) => {
    const def = f.default === undefined ? '' : Array.isArray(f.default) ? f.default.join(',') : String(f.default);
    return `| \`${f.env}\` | \`${f.key}\` | ${def ? `\`${def}\`` : ''} | ${f.doc} |`;
  });
  return ['| environment variable | `apigpt.yaml` key | default | what it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export const TABLE_START = '<!-- config-table:start -->';
export const TABLE_END = '<!-- config-table:end -->';

/** Replaces the table between the markers in a README's text. */
export function withConfigTable(readme: string, fields: readonly FieldSpec[]): string {
  const [head, rest] = readme.split(TABLE_START);
  if (rest === undefined) throw new Error(`README has no ${TABLE_START} marker`);
  const tail = rest.split(TABLE_END)[1] ?? '';
  return `${head}${TABLE_START}\n${configTable(fields)}\n${TABLE_END}${tail}`;
}
