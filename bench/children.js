// Child processes of the benchmarks: each target (bench/targets.js ROLE) runs in its own process
// with an IPC channel, so a load generator in the parent does not steal the target's CPU.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));

let seq = 0;
const children = new Set();

export function startChild(role, env, execArgv = []) {
  const child = fork(join(HERE, 'targets.js'), [role], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const handle = { role, child, info: null, exited: false };
  children.add(handle);
  child.on('exit', () => {
    handle.exited = true;
    children.delete(handle);
  });
  return new Promise((resolve, reject) => {
    // Generous: a gateway (and more so `serve --workers`) starts slowly on a loaded 2-core machine.
    const timer = setTimeout(() => reject(new Error(`${role}: not ready after 180 s`)), 180_000);
    const onMsg = (m) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        child.off('message', onMsg);
        handle.info = m;
        resolve(handle);
      } else if (m?.type === 'error') {
        clearTimeout(timer);
        reject(new Error(`${role} failed to start:\n${m.message}`));
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited with code ${code} before it was ready`));
    });
  });
}

export function rpc(handle, cmd, timeoutMs = 15_000, args = {}) {
  const id = ++seq;
  return new Promise((resolve, reject) => {
    if (handle.exited) return reject(new Error(`${handle.role} has exited`));
    const timer = setTimeout(() => {
      handle.child.off('message', onMsg);
      reject(new Error(`${handle.role}: no answer to ${cmd}`));
    }, timeoutMs);
    const onMsg = (m) => {
      if (m?.id !== id) return;
      clearTimeout(timer);
      handle.child.off('message', onMsg);
      if (m.error) reject(new Error(m.error));
      else resolve(m.result);
    };
    handle.child.on('message', onMsg);
    handle.child.send({ ...args, id, cmd });
  });
}

export async function stopChild(handle) {
  if (handle.exited) return null;
  const exited = new Promise((resolve) => handle.child.once('exit', resolve));
  let stats = null;
  try {
    stats = await rpc(handle, 'stop', 20_000);
  } catch {
    /* killed below */
  }
  const t = setTimeout(() => handle.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
  return stats;
}

export function killAll() {
  for (const h of children) if (!h.exited) h.child.kill('SIGKILL');
}

