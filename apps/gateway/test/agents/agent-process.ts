/**
 * What a coding agent needs to run headless in a test, and nothing of the machine it runs on: a
 * throwaway HOME (with a workspace holding one file for the tool round trip), a minimal environment,
 * a loopback proxy that refuses every connection to the outside (and records where the agent tried
 * to go: telemetry, update checks, plugin catalogues), and a hard timeout that kills the agent's
 * whole process group.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AgentHome {
  /** The agent's HOME: its config files and state go here and are deleted afterwards. */
  home: string;
  /** The agent's working directory. */
  workspace: string;
  /** The file the tool round trip reads, and what it says. */
  file: { name: string; path: string; text: string };
  cleanup(): void;
}

export function throwawayHome(label: string, secret: string): AgentHome {
  const home = mkdtempSync(join(tmpdir(), `apigpt-agent-${label}-`));
  const workspace = join(home, 'workspace');
  mkdirSync(workspace);
  const text = `The secret word is ${secret}.\n`;
  const path = join(workspace, 'notes.txt');
  writeFileSync(path, text);
  return { home, workspace, file: { name: 'notes.txt', path, text }, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Where agents' outside traffic goes: refused, each destination recorded. */
export interface EgressSink {
  url: string;
  /** `host:port` (CONNECT) or the absolute URL of every attempt, in order. */
  attempts: string[];
  close(): Promise<void>;
}

export async function startEgressSink(): Promise<EgressSink> {
  const attempts: string[] = [];
  const server: Server = createServer((req, res) => {
    attempts.push(req.url ?? '');
    res.writeHead(403, { 'content-type': 'text/plain' }).end('outside traffic is refused in tests\n');
  });
  server.on('connect', (req, socket) => {
    attempts.push(req.url ?? '');
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * The environment an agent runs with: its own HOME, a PATH for the shell its tools run, the proxy
 * variables (each spelling, as Node, Rust and git read them) pointing outside traffic at the sink
 * while loopback goes direct, and the agent's own variables. Nothing of the test process's
 * environment leaks in (no real keys, no real config).
 */
export function agentEnv(home: AgentHome, sink: EgressSink, own: Record<string, string>): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home.home,
    LANG: 'C.UTF-8',
    HTTPS_PROXY: sink.url,
    HTTP_PROXY: sink.url,
    https_proxy: sink.url,
    http_proxy: sink.url,
    ALL_PROXY: sink.url,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    ...own,
  };
}

/** Process groups of agents still running: a test that gives up (its own timeout) leaves none behind. */
const running = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/** Kills every agent still running (for afterAll). */
export function killRunningAgents(): void {
  for (const pid of running) killGroup(pid);
  running.clear();
}

export interface AgentRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs an agent to its end, or kills it (and every process it started: it leads its own process
 * group) when `timeoutMs` has passed. stdin is closed: a headless agent must not wait for input.
 */
export function runAgent(command: string, args: string[], opts: { env: Record<string, string>; cwd: string; timeoutMs: number }): Promise<AgentRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const pid = child.pid;
    if (pid) running.add(pid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid) killGroup(pid);
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      // Helpers an agent left behind (a sandbox, a code-mode host) end with it.
      if (pid) {
        killGroup(pid);
        running.delete(pid);
      }
      resolve({ code, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started });
    });
  });
}

/** A run's outcome for an assertion message: exit status and the ends of both streams. */
export function describeRun(run: AgentRun): string {
  const tail = (s: string) => (s.length > 3000 ? `…${s.slice(-3000)}` : s);
  return `exit ${run.code ?? run.signal}${run.timedOut ? ' (killed at the timeout)' : ''} after ${run.ms} ms\n--- stdout\n${tail(run.stdout)}\n--- stderr\n${tail(run.stderr)}`;
}
