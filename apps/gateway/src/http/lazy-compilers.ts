import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';

type SerializerFactory = ReturnType<typeof SerializerSelector>;

/**
 * Fastify's own serializer factory (fast-json-stringify), with each route's serializer built when
 * that route first answers with that status instead of when the server starts. Fastify builds one
 * for every response schema of every route at `ready` (about 150 here, most of them console and
 * admin routes a given process may never serve): that was a fifth of a second of start time and
 * code kept for the process's life (docs/architecture.md, "Start and idle memory").
 */
export function lazySerializerFactory(): SerializerFactory {
  const eager = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = eager(externalSchemas, options);
    return (route) => {
      let serialize: ((doc: unknown) => string) | undefined;
      return (doc: unknown) => (serialize ??= compile(route))(doc);
    };
  };
}
