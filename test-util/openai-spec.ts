/**
 * OpenAI's published OpenAPI document, which the simulator's and the gateway's conformance tests
 * validate against. It lives beside the repository (../shared/spec/ from the repository's root),
 * not at a path of one machine. When it is missing, the suites that need it fail with the path.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (this file is <root>/test-util/openai-spec.ts). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OPENAI_SPEC = resolve(REPO_ROOT, '..', 'shared', 'spec', 'openai-openapi.yaml');

/**
 * Call at the top of a test file that validates against the document: throws, failing the file with
 * the path, when the document is missing. Never a skip: a conformance suite that did not run is not
 * a passed one.
 */
export function requireOpenAISpec(spec = OPENAI_SPEC): string {
  if (!existsSync(spec)) throw new Error(`OpenAI's OpenAPI document is missing: ${spec} (shared/spec/ beside the repository). The conformance tests need it.`);
  return spec;
}
