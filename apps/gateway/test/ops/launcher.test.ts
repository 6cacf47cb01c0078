import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { onLauncherGone } from '../../src/cli/launcher.js';
import { staleBuild } from '../built-cli.js';
import { eventually } from '../eventually.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Whether a process runs (an exited one waiting to be reaped, state Z in /proc, does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A watch under `npm exec` on a parent id that never changes, used as the tests' clock: `polls()`
 * says how many times it has looked, so a test waits for polls to happen rather than for time to pass.
 */
function pollClock(): { polls: () => number; stop: () => void } {
  let n = 0;
  const stop = onLauncherGone(() => expect.unreachable('the clock never changes parent'), { npm_command: 'exec' }, () => (n++, 4242), 5);
  return { polls: () => n, stop };
}

describe('onLauncherGone (cli/launcher.ts)', () => {
  it('under npm exec, calls back once when the parent process changes, and not before', async () => {
    let parent = 4242;
    let asked = 0;
    let calls = 0;
    const unwatch = onLauncherGone(() => calls++, { npm_command: 'exec' }, () => (asked++, parent), 5);
    try {
      // Several polls with the same parent: nothing.
      await eventually(() => expect(asked).toBeGreaterThan(5));
      expect(calls).toBe(0);
      parent = 1; // adopted by init: the shell npm ran the command under has exited
      await eventually(() => expect(calls).toBe(1));
      // The watch has ended with its call: a further change is not looked at.
      const after = asked;
      parent = 7;
      const clock = pollClock();
      await eventually(() => expect(clock.polls()).toBeGreaterThan(5));
      clock.stop();
      expect(asked).toBe(after);
      expect(calls).toBe(1);
    } finally {
      unwatch();
    }
  });

  it('outside npm exec (a shell, a supervisor, npm start) nothing is watched', async () => {
    let parent = 4242;
    let asked = 0;
    const clock = pollClock();
    const unwatch = onLauncherGone(() => expect.unreachable('called back'), { npm_command: 'run-script' }, () => (asked++, parent), 5);
    const none = onLauncherGone(() => expect.unreachable('called back'), {}, () => (asked++, parent), 5);
    parent = 1;
    await eventually(() => expect(clock.polls()).toBeGreaterThan(5));
    clock.stop();
    unwatch();
    none();
    expect(asked).toBe(0);
  });

  it('once unwatched, a parent change is not reported', async () => {
    let parent = 4242;
    let asked = 0;
    let calls = 0;
    const unwatch = onLauncherGone(() => calls++, { npm_command: 'exec' }, () => (asked++, parent), 5);
    unwatch();
    parent = 1;
    const clock = pollClock();
    await eventually(() => expect(clock.polls()).toBeGreaterThan(5));
    clock.stop();
    expect(asked).toBe(1); // the parent id read when the watch began, and never again
    expect(calls).toBe(0);
  });
});

describe('npx apigpt serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigpt-npx-'));
  const pids: number[] = [];
  afterAll(() => {
    // A gateway the watch failed to stop would hold its port after the run: never left behind.
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone, as it should be */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('a SIGTERM sent to npm alone still drains the gateway and ends it (npm runs it under a shell that does not pass the signal on)', async () => {
    expect(staleBuild()).toBeNull();
    const env: NodeJS.ProcessEnv = { ...process.env, APIGPT_LOG_LEVEL: 'info' };
    for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'PORT' || k === 'REDIS_URL' || k === 'DATABASE_URL') delete env[k];
    const npm = spawn('npx', ['--no', 'apigpt', 'serve', '--data', dir, '--port', '0', '--host', '127.0.0.1'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    npm.stdout!.on('data', (d) => (out += d));
    npm.stderr!.on('data', (d) => (err += d));
    // The pipes close once every process holding them has ended: npm, its shell and the gateway.
    const allGone = Promise.all([new Promise((r) => npm.stdout!.once('close', r)), new Promise((r) => npm.stderr!.once('close', r))]);
    await eventually(() => expect(out).toMatch(/-d '\{/), { timeoutMs: 90_000 });
    const base = /Console:\s+(http:\/\/\S+)\//.exec(out)![1];
    const gatewayPid = Number(/"pid":(\d+)/.exec(err)![1]);
    pids.push(gatewayPid);
    expect(gatewayPid).not.toBe(npm.pid);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    npm.kill('SIGTERM');
    await allGone;
    expect(err).toContain('the npm exec that started the gateway went away, shutting down');
    // The gateway is gone (its pipes closed when it exited; init reaps it in its own time) and its port with it.
    await eventually(() => expect(running(gatewayPid)).toBe(false));
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 120_000);
});
