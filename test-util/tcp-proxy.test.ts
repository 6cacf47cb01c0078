import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { eventually } from './eventually.js';
import { TcpProxy } from './tcp-proxy.js';

/** The service behind the proxy: answers every chunk with "echo:" and the chunk, and counts its connections. */
let echo: net.Server;
let echoPort = 0;
let echoConnections = 0;
let echoClosed = 0;

beforeAll(async () => {
  echo = net.createServer((s) => {
    echoConnections++;
    s.on('error', () => undefined);
    s.on('close', () => echoClosed++);
    s.on('data', (d) => s.write(`echo:${d}`));
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => echo.close(() => r()));
});

/** A client socket that keeps what it received and how it ended. */
function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const seen = { data: '', error: null as (Error & { code?: string }) | null, closed: false, connected: false };
  socket.on('connect', () => (seen.connected = true));
  socket.on('data', (d) => (seen.data += d));
  socket.on('error', (e) => (seen.error = e));
  socket.on('close', () => (seen.closed = true));
  return { socket, seen };
}

describe('TcpProxy', () => {
  let proxy: TcpProxy;
  const sockets: net.Socket[] = [];
  const open = (port = proxy.port) => {
    const c = connect(port);
    sockets.push(c.socket);
    return c;
  };
  beforeAll(async () => {
    proxy = await TcpProxy.start({ host: '127.0.0.1', port: echoPort });
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await proxy.restore();
  });
  afterAll(async () => {
    await proxy.close();
  });

  it('forwards both ways, and rewrites a URL to point at itself', async () => {
    const c = open();
    c.socket.write('hello');
    await eventually(() => expect(c.seen.data).toBe('echo:hello'));
    expect(proxy.connections).toBe(1);
    expect(proxy.url('redis://user:pw@127.0.0.1:6379/2?x=1')).toBe(`redis://user:pw@127.0.0.1:${proxy.port}/2?x=1`);
  });

  it('cut() resets every live connection: the client gets ECONNRESET', async () => {
    const a = open();
    const b = open();
    a.socket.write('a');
    b.socket.write('b');
    await eventually(() => expect([a.seen.data, b.seen.data]).toEqual(['echo:a', 'echo:b']));
    await proxy.cut();
    await eventually(() => expect([a.seen.closed, b.seen.closed]).toEqual([true, true]));
    expect(a.seen.error?.code).toBe('ECONNRESET');
    expect(b.seen.error?.code).toBe('ECONNRESET');
    expect(proxy.connections).toBe(0);
  });

  it('while cut (reset), a new connection is reset before it reaches the target; after restore() one gets through', async () => {
    await proxy.cut('reset');
    const before = echoConnections;
    const turnedAway = proxy.turnedAway;
    const c = open();
    c.socket.write('lost');
    await eventually(() => expect(c.seen.closed).toBe(true));
    expect(c.seen.error?.code).toBe('ECONNRESET');
    expect(c.seen.data).toBe('');
    expect(proxy.turnedAway).toBe(turnedAway + 1);
    expect(echoConnections).toBe(before);

    await proxy.restore();
    const d = open();
    d.socket.write('back');
    await eventually(() => expect(d.seen.data).toBe('echo:back'));
  });

  it('while cut (refuse), a connection is refused; restore() listens again on the same port', async () => {
    const port = proxy.port;
    await proxy.cut('refuse');
    const c = open(port);
    await eventually(() => expect(c.seen.closed).toBe(true));
    expect(c.seen.error?.code).toBe('ECONNREFUSED');
    expect(c.seen.connected).toBe(false);

    await proxy.restore();
    expect(proxy.port).toBe(port);
    const d = open(port);
    d.socket.write('again');
    await eventually(() => expect(d.seen.data).toBe('echo:again'));
  });

  it('while cut (hold), a connection is accepted but nothing reaches the target; restore() forwards what it sent', async () => {
    await proxy.cut('hold');
    const before = echoConnections;
    const c = open();
    c.socket.write('waiting');
    await eventually(() => expect(proxy.holding).toBe(1));
    expect(c.seen.connected).toBe(true);
    expect(echoConnections).toBe(before); // held at the proxy: the target has not seen it
    expect(c.seen.data).toBe('');

    await proxy.restore();
    await eventually(() => expect(c.seen.data).toBe('echo:waiting'));
    expect(proxy.holding).toBe(0);
  });

  it('a held connection the client gives up on is forgotten, not forwarded', async () => {
    await proxy.cut('hold');
    const before = echoConnections;
    const c = open();
    await eventually(() => expect(proxy.holding).toBe(1));
    c.socket.destroy();
    await eventually(() => expect(proxy.holding).toBe(0));
    await proxy.restore();
    expect(proxy.connections).toBe(0);
    expect(echoConnections).toBe(before);
  });

  it('frozen, a live connection stays open at both ends and nothing passes, a close included; restore() lets it all through', async () => {
    const c = open();
    const gone = open();
    c.socket.write('before');
    gone.socket.write('x');
    await eventually(() => expect([c.seen.data, gone.seen.data]).toEqual(['echo:before', 'echo:x']));
    const closed = echoClosed;

    proxy.freeze();
    c.socket.write('during');
    gone.socket.destroy();
    const late = open(); // a new connection during the freeze is held
    late.socket.write('late');
    await eventually(() => expect(proxy.holding).toBe(1));
    await eventually(() => expect(gone.seen.closed).toBe(true));
    expect(c.seen.closed).toBe(false);
    expect(c.seen.data).toBe('echo:before');
    expect(echoClosed).toBe(closed); // the target was not told the other client left

    await proxy.restore();
    await eventually(() => expect([c.seen.data, late.seen.data, echoClosed]).toEqual(['echo:beforeecho:during', 'echo:late', closed + 1]));
    c.socket.write('after');
    await eventually(() => expect(c.seen.data).toBe('echo:beforeecho:duringecho:after'));
  });

  it("frozen with newConnections 'pass' (a failover's stranded connections), a new connection flows while the old one stays silent", async () => {
    const old = open();
    old.socket.write('a');
    await eventually(() => expect(old.seen.data).toBe('echo:a'));
    proxy.freeze({ newConnections: 'pass' });
    old.socket.write('b');
    const fresh = open();
    fresh.socket.write('c');
    await eventually(() => expect(fresh.seen.data).toBe('echo:c'));
    expect(proxy.holding).toBe(0);
    expect(old.seen.data).toBe('echo:a');
    await proxy.restore();
    await eventually(() => expect(old.seen.data).toBe('echo:aecho:b'));
  });

  it('freezeAfter(pattern): the bytes holding the pattern reach the target, its answer does not; restore() delivers it', async () => {
    const c = open();
    c.socket.write('one');
    await eventually(() => expect(c.seen.data).toBe('echo:one'));
    const fired = proxy.freezeAfter('COMMIT');
    c.socket.write('two');
    await eventually(() => expect(c.seen.data).toBe('echo:oneecho:two')); // not the pattern: flows
    c.socket.write('COMMIT');
    await fired;
    expect(proxy.isCut).toBe(true);
    const late = open(); // held: the freeze holds new connections by default
    await eventually(() => expect(proxy.holding).toBe(1));
    expect(c.seen.data).toBe('echo:oneecho:two');
    await proxy.restore();
    await eventually(() => expect(c.seen.data).toBe('echo:oneecho:twoecho:COMMIT'));
    late.socket.write('x');
    await eventually(() => expect(late.seen.data).toBe('echo:x'));
  });

  it('close() ends live connections and stops listening', async () => {
    const other = await TcpProxy.start(`redis://127.0.0.1:${echoPort}`);
    const c = open(other.port);
    c.socket.write('x');
    await eventually(() => expect(c.seen.data).toBe('echo:x'));
    await other.close();
    await eventually(() => expect(c.seen.closed).toBe(true));
    const d = open(other.port);
    await eventually(() => expect(d.seen.closed).toBe(true));
    expect(d.seen.error?.code).toBe('ECONNREFUSED');
  });
});
