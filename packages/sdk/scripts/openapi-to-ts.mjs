/**
 * Turns the gateway's OpenAPI document into TypeScript: one entry per management operation
 * (`'GET /api/billing/account'`) with its path parameters, query, body and answer. The gateway's
 * TypeBox schemas are the one source; this file only translates JSON Schema to types, so the SDK
 * and the console never spell a schema by hand. No dependency: the schemas use a small subset.
 */

const HEADER = `/* eslint-disable */
// Generated from the gateway's OpenAPI document (/api/openapi.json) by packages/sdk/scripts/generate-types.mjs.
// Do not edit: change the schema in apps/gateway/src/api/, then run \`npm run generate -w @apigpt/sdk\`.
`;

/** The TypeScript source for the document's management operations (paths under /api/). */
export function generate(doc) {
  const ops = [];
  for (const path of Object.keys(doc.paths).sort()) {
    if (!path.startsWith('/api/') || path.startsWith('/api/docs')) continue;
    for (const method of Object.keys(doc.paths[path]).sort()) {
      const op = doc.paths[path][method];
      if (!op || typeof op !== 'object' || !op.responses) continue;
      ops.push(operation(`${method.toUpperCase()} ${path}`, op));
    }
  }
  return `${HEADER}\nexport interface Operations {\n${ops.join('\n')}}\n`;
}

function operation(id, op) {
  const params = op.parameters ?? [];
  const group = (where) => {
    const ps = params.filter((p) => p.in === where);
    if (ps.length === 0) return 'never';
    const fields = ps.map((p) => field(p.name, p.schema ?? {}, p.required === true, p.description ?? p.schema?.description, 3));
    return `{\n${fields.join('')}    }`;
  };
  const body = op.requestBody?.content?.['application/json']?.schema;
  const ok = op.responses?.['200']?.content?.['application/json']?.schema;
  const lines = [];
  if (op.summary) lines.push(`  /** ${clean(op.summary)}${op.description ? ` — ${clean(op.description)}` : ''} */`);
  lines.push(`  ${JSON.stringify(id)}: {`);
  lines.push(`    params: ${group('path')};`);
  lines.push(`    query: ${group('query')};`);
  lines.push(`    body: ${body ? type(body, 2) : 'never'};`);
  lines.push(`    response: ${ok ? type(ok, 2) : 'unknown'};`);
  lines.push('  };');
  return lines.join('\n') + '\n';
}

function clean(text) {
  return String(text).replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function field(name, schema, required, description, depth) {
  const pad = '  '.repeat(depth);
  const doc = description ? `${pad}/** ${clean(description)} */\n` : '';
  const key = IDENT.test(name) ? name : JSON.stringify(name);
  return `${doc}${pad}${key}${required ? '' : '?'}: ${type(schema, depth)};\n`;
}

/** JSON Schema → a TypeScript type; `depth` is the indentation of the line the type starts on. */
export function type(s, depth = 0) {
  if (s === true || !s || Object.keys(s).filter((k) => !['description', 'default', 'title', 'examples'].includes(k)).length === 0) return 'unknown';
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  const alts = s.anyOf ?? s.oneOf;
  if (Array.isArray(alts)) return union(alts.map((a) => type(a, depth)));
  if (Array.isArray(s.allOf)) return s.allOf.map((a) => wrap(type(a, depth))).join(' & ');
  if (Array.isArray(s.type)) return union(s.type.map((t) => type({ ...s, type: t }, depth)));
  switch (s.type) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return s.items ? `${wrap(type(s.items, depth))}[]` : 'unknown[]';
    case 'object':
    default:
      return object(s, depth);
  }
}

function object(s, depth) {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const names = Object.keys(props);
  const extra = s.additionalProperties;
  const index = extra && typeof extra === 'object' && Object.keys(extra).length ? type(extra, depth + 1) : extra === true || (!names.length && extra !== false) ? 'unknown' : null;
  if (!names.length && index) return `Record<string, ${index}>`;
  const pad = '  '.repeat(depth);
  const lines = names.map((n) => field(n, props[n], required.has(n), props[n]?.description, depth + 1));
  if (index) lines.push(`${pad}  [key: string]: ${index === 'unknown' ? 'unknown' : 'unknown'};\n`);
  return `{\n${lines.join('')}${pad}}`;
}

function union(types) {
  const seen = [...new Set(types)];
  return seen.length === 1 ? seen[0] : seen.map(wrap).join(' | ');
}

/** Parentheses where a union or intersection meets `[]` or `&`. */
function wrap(t) {
  return /^[\w$."'-]+$/.test(t) || t.startsWith('{') || t.startsWith('Record<') || /^[\w$]+\[\]$/.test(t) ? t : `(${t})`;
}
