/**
 * OpenAI's published OpenAPI document, which the simulator's and the gateway's conformance tests
 * validate against. It lives beside the repository (../shared/spec/ from the repository's root),
 * not at a path of one machine. When it is missing, CI fails (with the reason) instead of skipping
 * silently; elsewhere the suites are skipped, saying why.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

/** The repository's root (this file is <root>/test-util/openai-spec.ts). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OPENAI_SPEC = resolve(REPO_ROOT, '..', 'shared', 'spec', 'openai-openapi.yaml');

const inCi = () => !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

/**
 * Call at the top of a test file, before the suite that needs the document: true when it is there.
 * When it is missing this adds, in CI, a failing test that gives the path, and elsewhere a skipped
 * test named with the reason (also printed), and returns false: skip the suite with it.
 */
export function openaiSpecAvailable(suite: string, spec = OPENAI_SPEC): boolean {
  if (existsSync(spec)) return true;
  const reason = `OpenAI's OpenAPI document is missing: ${spec} (shared/spec/ beside the repository)`;
  if (inCi()) {
    it(`${suite}: needs the OpenAPI document`, () => {
      throw new Error(`${reason}. CI is set, so this is a failure, not a skip.`);
    });
  } else {
    console.warn(`SKIPPED "${suite}": ${reason}. (With CI set this fails.)`);
    it.skip(`${suite}: skipped, ${reason}`, () => {});
  }
  return false;
}
