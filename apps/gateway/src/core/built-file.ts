/**
 * A file the build puts beside a compiled module (a worker thread's entry, a data table): beside the
 * caller when it runs from `dist/` or from the bundle (`dist/bundle/`, where the bundle script copies
 * such files); when the caller runs from its TypeScript source (the tests), the same place under
 * `dist/`, since the file exists only there (`npm test` builds first).
 * @param from the caller's `import.meta.url`
 * @param name the file's name beside the caller, e.g. `worker.js`
 */
export function builtFile(from: string, name: string): URL {
  const base = from.endsWith('.ts') ? from.replace(/\/src\/(?!.*\/src\/)/, '/dist/') : from;
  return new URL(`./${name}`, base);
}
