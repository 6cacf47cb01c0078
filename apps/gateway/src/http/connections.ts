import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** How often a stopping server closes the connections that have become idle since the last look (ms). */
export const REAP_MS = 100;
/** How long a connection that has sent nothing at all may stay open once the server stops (ms). */
export const SILENT_MS = 1_000;

/**
 * The connections of one HTTP server, so that a graceful stop ends as soon as its calls have.
 *
 * `server.close()` stops accepting and closes the keep-alive connections that are idle at that
 * moment, once; then it waits for every other connection to end. Two kinds never did:
 * - a keep-alive connection whose call was still running — every SDK keeps its connection open
 *   after the answer, so the stop waited out the whole grace period (30 s by default) after the last
 *   stream had ended, and a Kubernetes pod with the default 30 s termination grace was killed
 *   first;
 * - a connection that has sent nothing (a browser's speculative preconnect, a client's spare
 *   connection, a TCP health check that holds on): Node times out only requests that have begun.
 *
 * So while the server stops, the connections that have become idle are closed every REAP_MS (the
 * same race as Node's own `closeIdleConnections`: a request sent that instant is refused by a
 * closed connection, which clients retry), and those that have not sent a byte are closed once
 * the stop is SILENT_MS old. Connections with a call running are left to it.
 */
export class ServerConnections {
  private readonly open = new Set<Socket>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.open.add(socket);
      socket.once('close', () => this.open.delete(socket));
    });
  }

  /** Starts closing connections as they become idle (the server has been asked to close); returns the stop. */
  closeAsIdle(): () => void {
    const since = performance.now();
    const reap = () => {
      this.server.closeIdleConnections();
      if (performance.now() - since < SILENT_MS) return;
      for (const socket of this.open) if (socket.bytesRead === 0) socket.destroy();
    };
    const timer = setInterval(reap, REAP_MS);
    timer.unref();
    reap();
    return () => clearInterval(timer);
  }
}
