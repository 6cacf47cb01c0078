/** How often the parent is looked at (ms): a stop noticed within half a second, for a few µs a poll. */
export const LAUNCHER_POLL_MS = 500;

/**
 * Calls `gone` once when the `npm exec` that started this process (`npx apigpt serve`) has gone, so
 * that the gateway drains and exits as on a SIGTERM; returns what ends the watch.
 *
 * npm runs an exec'd command under `sh -c`. A SIGTERM sent to npm alone (a process manager that
 * stops the pid it started, `kill <pid of npx>`) is passed on to that shell, which exits on it
 * without passing it on: the gateway was left running, holding its port and its calls, and the
 * next start failed on the port. When the shell goes, this process is adopted by another (init, or
 * the nearest subreaper): its parent id changes. Node has no parent-death signal, so the id is
 * polled, with an unref'd timer that never keeps the process alive. Only under `npm exec` (npm sets
 * `npm_command`): started by a shell, a supervisor or `nohup`, a gateway outlives its parent on
 * purpose. `npm start` needs none of this: its script hands the process over (`exec node …`) and npm
 * passes the signal to it.
 */
export function onLauncherGone(gone: () => void, env: NodeJS.ProcessEnv = process.env, parent: () => number = () => process.ppid, everyMs = LAUNCHER_POLL_MS): () => void {
  if (env.npm_command !== 'exec') return () => {};
  const launcher = parent();
  const timer = setInterval(() => {
    if (parent() === launcher) return;
    clearInterval(timer);
    gone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
