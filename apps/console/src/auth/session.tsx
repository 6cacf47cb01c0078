import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { auth } from '../api/endpoints';
import { onUnauthorized } from '../api/client';
import type { PublicConfig, User } from '../api/types';

interface Session {
  /** undefined while the first /me call runs; null when logged out. */
  user: User | null | undefined;
  config: PublicConfig | null;
  setUser(u: User | null): void;
  logout(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/** Who is logged in, asked once at start and cleared whenever any API call answers 401. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [config, setConfig] = useState<PublicConfig | null>(null);

  useEffect(() => {
    auth.me().then((r) => setUser(r.user), () => setUser(null));
    auth.config().then(setConfig, () => setConfig({ signupEnabled: true, publicUrl: null }));
    return onUnauthorized(() => setUser(null));
  }, []);

  const logout = useCallback(async () => {
    await auth.logout().catch(() => undefined);
    setUser(null);
  }, []);

  return <SessionContext.Provider value={{ user, config, setUser, logout }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The base URL SDK snippets should use: the configured public URL, else this page's origin. */
export function useBaseUrl(): string {
  const { config } = useSession();
  return (config?.publicUrl ?? window.location.origin).replace(/\/+$/, '');
}
