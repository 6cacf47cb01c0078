import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { GatewayError } from '../core/errors.js';

/** A checked value, or the error that names the field in the caller's terms. */
export type Checked = { value: unknown; error?: undefined } | { error: GatewayError; value?: undefined };

/**
 * Bodies are checked strictly (no type coercion: `"temperature": "hot"` is an error, as OpenAI says),
 * while query strings and path parameters are coerced from text as usual.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const body = lazyValidators(false);
  const text = lazyValidators(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text)(schema, httpPart);
}

/**
 * Validators on one Ajv instance, which is made with the first of them to run. Each compiles its
 * schema on its first call, not when it is made: most of the ~150 routes (console, admin, payments)
 * are never called by a given process, and compiling them all at start cost about half a second and
 * their generated code's memory for the process's life (docs/architecture.md, "Start and idle
 * memory"). The authorization matrix test calls every route.
 */
export function lazyValidators(coerceTypes: boolean): (schema: unknown, httpPart?: string) => (data: unknown) => Checked {
  let ajv: Ajv | undefined;
  const instance = () => {
    if (!ajv) {
      // verbose: an error carries its schema, so a bound can be reported as the whole range.
      ajv = new Ajv({ coerceTypes, useDefaults: true, allErrors: false, strict: false, verbose: true });
      addFormats.default(ajv);
    }
    return ajv;
  };
  return (schema, httpPart) => {
    let validate: ValidateFunction | undefined;
    return (data) => {
      validate ??= instance().compile(schema as object);
      return validate(data) ? { value: data } : { error: validationError(validate.errors ?? [], httpPart) };
    };
  };
}

/** One clear message naming the field in the caller's terms: `messages[0].role`. */
export function validationError(errors: ErrorObject[], httpPart?: string): GatewayError {
  const e = pickMostSpecific(errors);
  if (!e) return new GatewayError('invalid_request', 'Invalid request.', { code: 'invalid_request' });
  let path = pointerToParam(e.instancePath);
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    path = path ? `${path}.${missing}` : missing;
    return new GatewayError('invalid_request', `Missing required parameter: '${path}'.`, { param: path, code: 'missing_required_parameter' });
  }
  const where = path ? `'${path}'` : httpPart === 'querystring' ? 'the query string' : 'the request body';
  let detail = e.message ?? 'is invalid';
  if (e.keyword === 'enum') detail = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  if (RANGE_KEYWORDS.has(e.keyword)) detail = rangeDetail(e) ?? detail;
  if (e.keyword === 'additionalProperties') detail = `has an unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  return new GatewayError('invalid_request', `Invalid value for ${where}: ${detail}.`, { param: path || null, code: 'invalid_value' });
}

const RANGE_KEYWORDS = new Set(['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

/** `must be from 0 to 1000000000` when the schema (known with ajv's verbose errors) bounds both ends. */
function rangeDetail(e: ErrorObject): string | undefined {
  const s = e.parentSchema as { minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number } | undefined;
  if (!s) return undefined;
  const hasLow = s.minimum !== undefined || s.exclusiveMinimum !== undefined;
  const hasHigh = s.maximum !== undefined || s.exclusiveMaximum !== undefined;
  if (!hasLow || !hasHigh) return undefined;
  if (s.minimum !== undefined && s.maximum !== undefined) return `must be from ${s.minimum} to ${s.maximum}`;
  const low = s.minimum !== undefined ? `at least ${s.minimum}` : `more than ${s.exclusiveMinimum}`;
  const high = s.maximum !== undefined ? `at most ${s.maximum}` : `less than ${s.exclusiveMaximum}`;
  return `must be ${low} and ${high}`;
}

/** ajv reports every branch of a union; the deepest path is the one the caller got wrong. */
function pickMostSpecific(errors: ErrorObject[]): ErrorObject | undefined {
  if (errors.length <= 1) return errors[0];
  const useful = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf');
  const list = useful.length ? useful : errors;
  return list.reduce((best, e) => (e.instancePath.length > best.instancePath.length ? e : best), list[0]);
}

function pointerToParam(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}
