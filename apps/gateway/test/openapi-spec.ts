/**
 * Validators for OpenAI's published OpenAPI document (shared/spec/openai-openapi.yaml). The document
 * says OpenAPI 3.1 but still uses 3.0's `nullable`, which JSON Schema 2020-12 does not know; it is
 * rewritten to real null types before compiling.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { OPENAI_SPEC as SPEC } from '../../../test-util/openai-spec.js';

export function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (!node || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) if (k !== 'nullable') out[k] = rewriteNullable(v);
  if (src.nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  if (Array.isArray(out.type)) {
    if (!out.type.includes('null')) out.type = [...out.type, 'null'];
    return out;
  }
  // `nullable` beside $ref / allOf / anyOf: the value is that schema, or null.
  return { anyOf: [out, { type: 'null' }] };
}

let cached: Ajv2020 | null = null;

function ajv(): Ajv2020 {
  if (cached) return cached;
  const doc = rewriteNullable(parse(readFileSync(SPEC, 'utf8'))) as { components: { schemas: Record<string, unknown> } };
  const a = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats.default(a);
  // Formats the document invents; their values are plain integers or strings.
  for (const f of ['unixtime', 'binary', 'int64', 'int32', 'double', 'float']) a.addFormat(f, true);
  a.addSchema({ $id: 'openai', components: doc.components });
  cached = a;
  return a;
}

const validators = new Map<string, ValidateFunction>();

export function validatorFor(schemaName: string): ValidateFunction {
  let v = validators.get(schemaName);
  if (!v) {
    v = ajv().compile({ $ref: `openai#/components/schemas/${schemaName}` });
    validators.set(schemaName, v);
  }
  return v;
}

/** Returns null when valid, else a readable list of what is wrong. */
export function check(schemaName: string, value: unknown): string | null {
  const v = validatorFor(schemaName);
  if (v(value)) return null;
  return (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
}
