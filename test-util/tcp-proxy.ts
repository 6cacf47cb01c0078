/**
 * A TCP proxy on loopback in front of a real service (PostgreSQL, Redis), for tests of what happens
 * when the service goes away: `cut()` kills every live connection at once, as a crashed server or a
 * broken network would, and keeps new ones from getting through until `restore()`.
 *
 * How a cut treats new connections:
 * - `reset` (default): each one is accepted and reset at once — the client sees ECONNRESET or its
 *   library's "connection terminated", like a server restarting.
 * - `refuse`: the proxy stops listening — the client sees ECONNREFUSED, like a server that is down.
 *   `restore()` listens again on the same port.
 * - `hold`: each one is accepted and left unanswered, like a network that drops packets: the client
 *   waits until its own timeout. `restore()` forwards the held connections that are still open (with
 *   whatever they sent meanwhile), as a healed network would.
 *
 * `freeze()` is the network partition a cut is not: the connections already open stay open on both
 * ends and nothing passes between them (nor the news that one end closed), as when a database's
 * host stops answering or a router drops the route: no reset, no FIN, the client's kernel still
 * has an established connection. New connections are held as by a `hold` cut, or with
 * `{ newConnections: 'pass' }` forwarded as usual: the connections a failover or a NAT that lost its
 * state strands, while the service is reachable anew. `restore()` lets the frozen ones flow again
 * with what was sent meanwhile, and passes on the closes that happened.
 *
 * `freezeAfter(pattern)` freezes the same way the moment a client sends bytes holding `pattern`, those
 * bytes passed on first: a server that did what it was asked (a COMMIT) and whose answer is lost.
 * (The pattern must arrive in one read, as a short protocol message does.)
 */
import net from 'node:net';

export type CutMode = 'reset' | 'refuse' | 'hold';
type Mode = CutMode | 'freeze' | 'strand';

export interface TcpProxyTarget {
  host: string;
  port: number;
}

export class TcpProxy {
  /** Client sockets that are forwarded, each with its socket to the target. */
  private readonly live = new Map<net.Socket, net.Socket>();
  /** Connections a `hold` cut accepted, with what each sent meanwhile. */
  private readonly held = new Map<net.Socket, { sent: Buffer[]; keep: (d: Buffer) => void }>();
  private mode: Mode | null = null;
  /** Sockets whose peer closed while frozen: closed on `restore()`, when the news would get through. */
  private readonly orphans = new Set<net.Socket>();
  /** The live connections a freeze stopped (connections made after it flow). */
  private readonly frozen = new Map<net.Socket, net.Socket>();
  /** An armed `freezeAfter`, and the data listeners that watch each connection for its pattern. */
  private trigger: { pattern: Buffer; opts: { newConnections?: 'hold' | 'pass' }; fired: () => void } | null = null;
  private readonly watchers = new Map<net.Socket, { upstream: net.Socket; onData: (d: Buffer) => void }>();
  private server: net.Server;
  private closed = false;
  /** Connections accepted since the start, and those turned away by a cut (reset, or held). */
  accepted = 0;
  turnedAway = 0;

  private constructor(
    readonly target: TcpProxyTarget,
    readonly host: string,
    public port: number,
  ) {
    this.server = this.newServer();
  }

  /** Starts a proxy to `target` (an address, or a URL whose host and port are used) on a free loopback port. */
  static async start(target: TcpProxyTarget | string, host = '127.0.0.1'): Promise<TcpProxy> {
    const t = typeof target === 'string' ? addressOf(target) : target;
    const proxy = new TcpProxy(t, host, 0);
    await proxy.listen(0);
    return proxy;
  }

  /** `url` with its host and port replaced by the proxy's (credentials, path and query kept). */
  url(url: string): string {
    const u = new URL(url);
    u.hostname = this.host;
    u.port = String(this.port);
    return u.toString();
  }

  /** Connections being forwarded now. */
  get connections(): number {
    return this.live.size;
  }

  /** Connections accepted during a `hold` cut and not yet forwarded. */
  get holding(): number {
    return this.held.size;
  }

  get isCut(): boolean {
    return this.mode !== null;
  }

  /** Destroys every live connection (the client side with a TCP reset) and turns new ones away until `restore()`. */
  async cut(mode: CutMode = 'reset'): Promise<void> {
    if (this.closed) throw new Error('the proxy is closed');
    if (this.mode !== null) throw new Error(`the proxy is already cut (${this.mode})`);
    if (this.trigger) throw new Error('the proxy is armed (freezeAfter): it freezes by itself');
    this.mode = mode;
    for (const [client, upstream] of this.live) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.live.clear();
    if (mode === 'refuse') await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Stops everything between the ends of every live connection, keeping both open; holds new ones, or lets them through. */
  freeze(opts: { newConnections?: 'hold' | 'pass' } = {}): void {
    if (this.closed) throw new Error('the proxy is closed');
    if (this.mode !== null) throw new Error(`the proxy is already cut (${this.mode})`);
    if (this.trigger) throw new Error('the proxy is armed (freezeAfter): it freezes by itself');
    this.mode = opts.newConnections === 'pass' ? 'strand' : 'freeze';
    for (const [client, upstream] of this.live) {
      this.frozen.set(client, upstream);
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  /** Freezes (as `freeze(opts)`) right after a client sends bytes holding `pattern`; resolves then. */
  freezeAfter(pattern: string | Buffer, opts: { newConnections?: 'hold' | 'pass' } = {}): Promise<void> {
    if (this.mode !== null || this.trigger) throw new Error('the proxy is already cut or armed');
    return new Promise<void>((fired) => {
      this.trigger = { pattern: Buffer.from(pattern), opts, fired };
      for (const [client, upstream] of this.live) this.watch(client, upstream);
    });
  }

  /** Forwards what the client sends through a listener that looks for the armed pattern. */
  private watch(client: net.Socket, upstream: net.Socket): void {
    client.unpipe(upstream);
    const onData = (d: Buffer) => {
      if (!upstream.write(d)) {
        client.pause();
        // Unless a freeze came meanwhile: then `restore()` lets it flow (through a pipe again).
        upstream.once('drain', () => this.watchers.has(client) && client.resume());
      }
      const t = this.trigger;
      if (!t || !d.includes(t.pattern)) return;
      this.trigger = null;
      // The freeze stops every connection; `restore()` pipes them again.
      for (const [c, w] of this.watchers) c.off('data', w.onData);
      this.watchers.clear();
      this.freeze(t.opts);
      t.fired();
    };
    this.watchers.set(client, { upstream, onData });
    client.on('data', onData);
    client.resume();
  }

  /** Lets connections through again; held ones are forwarded now, frozen ones flow again. */
  async restore(): Promise<void> {
    if (this.mode === null) return;
    const mode = this.mode;
    this.mode = null;
    if (mode === 'refuse') {
      this.server = this.newServer();
      await this.listen(this.port);
    }
    if (mode === 'freeze' || mode === 'strand') {
      for (const s of this.orphans) s.destroy();
      this.orphans.clear();
      for (const [client, upstream] of this.frozen) {
        if (this.live.get(client) !== upstream) continue;
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.resume();
      }
      this.frozen.clear();
    }
    for (const [client, kept] of this.held) this.forward(client, kept);
    this.held.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [client, upstream] of this.live) {
      client.destroy();
      upstream.destroy();
    }
    this.live.clear();
    for (const client of this.held.keys()) client.destroy();
    this.held.clear();
    for (const s of this.orphans) s.destroy();
    this.orphans.clear();
    this.frozen.clear();
    this.watchers.clear();
    this.trigger = null;
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private newServer(): net.Server {
    return net.createServer({ pauseOnConnect: true }, (client) => this.accept(client));
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    // A client that goes away is no error of the proxy's.
    client.on('error', () => undefined);
    if (this.closed) {
      client.destroy();
      return;
    }
    if (this.mode === 'reset' || this.mode === 'refuse') {
      // 'refuse' stops listening, but a connection the kernel accepted just before is reset too.
      this.turnedAway++;
      client.resetAndDestroy();
      return;
    }
    if (this.mode === 'hold' || this.mode === 'freeze') {
      // Read (so a client that gives up is noticed) but kept here: nothing reaches the target.
      this.turnedAway++;
      const sent: Buffer[] = [];
      const keep = (d: Buffer) => sent.push(d);
      this.held.set(client, { sent, keep });
      client.on('data', keep);
      client.once('close', () => this.held.delete(client));
      client.resume();
      return;
    }
    this.forward(client);
  }

  private forward(client: net.Socket, kept?: { sent: Buffer[]; keep: (d: Buffer) => void }): void {
    if (client.destroyed) return;
    const upstream = net.connect(this.target.port, this.target.host);
    if (kept) {
      client.off('data', kept.keep);
      client.pause();
      for (const d of kept.sent) upstream.write(d);
    }
    upstream.on('error', () => undefined);
    this.live.set(client, upstream);
    const drop = () => {
      if (this.live.get(client) !== upstream) return;
      this.live.delete(client);
      this.watchers.delete(client);
      if (this.frozen.get(client) === upstream) {
        // The other end hears of it only when the network heals.
        for (const s of [client, upstream]) if (!s.destroyed) this.orphans.add(s);
        return;
      }
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    if (this.trigger) this.watch(client, upstream);
    else client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}

function addressOf(url: string): TcpProxyTarget {
  const u = new URL(url);
  const defaults: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379 };
  const port = u.port ? Number(u.port) : defaults[u.protocol];
  if (!port) throw new Error(`no port in ${url}`);
  return { host: u.hostname, port };
}
