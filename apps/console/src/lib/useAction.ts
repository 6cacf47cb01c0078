import { useCallback, useState } from 'react';

/**
 * The state every form submit shares: `busy` while it runs, the server's error (shown by
 * ErrorAlert) when it fails. `run` clears the old error, runs the action, and records a failure.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = useCallback(async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, setError, run };
}
