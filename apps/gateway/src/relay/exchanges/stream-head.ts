import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Starts a streamed answer: the status and headers, as `res.writeHead`, and then the header block
 * Node keeps made one flat string.
 *
 * Node builds the block (`_header`, kept for the response's life: `headersSent` reads it) by
 * appending each line to a string, which V8 keeps as a tree of concatenations, ~30 small strings per
 * response. A plain answer ends at once and lets go of them; a stream keeps them for as long as it
 * runs. Reading one character makes V8 flatten the tree in place into one string and drop the
 * pieces (V8's `String::Flatten`): with a thousand slow streams open, ~30 fewer live strings and
 * ~0.7 KB less heap per stream (`node bench/heap-snapshot.js`, bench/RESULTS.md session 34). `_header`
 * is Node's own field; were it renamed, the read finds nothing and nothing else changes.
 */
export function writeStreamHead(res: ServerResponse, status: number, headers: OutgoingHttpHeaders): void {
  res.writeHead(status, headers);
  const block = (res as unknown as { _header?: unknown })._header;
  if (typeof block === 'string') block.charCodeAt(0);
}
