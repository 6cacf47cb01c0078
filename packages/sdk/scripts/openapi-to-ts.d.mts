// Types of openapi-to-ts.mjs for the TypeScript that imports it (the SDK's tests).
/** The TypeScript source for an OpenAPI document's management operations (paths under /api/). */
export function generate(doc: unknown): string;
/** The TypeScript type of one JSON schema. */
export function type(s: unknown, depth?: number): string;
