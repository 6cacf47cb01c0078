/**
 * Private `redis-server` processes for the tests that need a Redis of their own (Sentinel, Cluster,
 * a server that restarts empty): each on a free loopback port, without persistence, in a folder of
 * its own, killed when the test's `stopAll` runs.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { eventually } from './eventually.js';

export interface RedisServer {
  port: number;
  child: ChildProcess;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** `redis-cli -p PORT ARGS…`, its answer trimmed. */
export const cli = (port: number, ...args: string[]) => execFileSync('redis-cli', ['-p', String(port), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

/** Starts and stops a test file's own Redis servers. */
export function redisServers() {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-redis-'));
  const children: ChildProcess[] = [];
  return {
    dir,
    /** Tracks another child (a Sentinel) so `stopAll` ends it too. */
    track(child: ChildProcess) {
      children.push(child);
    },
    /** `redis-server` with these arguments (on `port` when given), once it answers PING. */
    async start(args: string[] = [], port?: number): Promise<RedisServer> {
      const p = port ?? (await freePort());
      // A folder each: a replica writes the master's data to dump.rdb there, which a server started in
      // the same folder would load.
      const own = mkdtempSync(join(dir, 'server-'));
      const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', own, ...args], { stdio: 'ignore' });
      children.push(child);
      await eventually(() => expect(cli(p, 'ping')).toBe('PONG'), { timeoutMs: 10_000, intervalMs: 50 });
      return { port: p, child };
    },
    /** SIGKILL, and resolves once the process is gone (its port free again). */
    async kill(s: RedisServer): Promise<void> {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return;
      const gone = new Promise((r) => s.child.once('exit', r));
      s.child.kill('SIGKILL');
      await gone;
    },
    stopAll() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
