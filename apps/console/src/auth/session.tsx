import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { auth } from '../api/endpoints';
import { onUnauthorized } from '../api/client';
import type { PublicConfig, User } from '../api/types';

interface Session {
  /** undefined while the first /me call runs; null when logged out. */
  user: User | null | undefined;
  config: PublicConfig | null;
  /** An administrator the server holds to two-factor sign-in who has not turned it on: the console leads them to it. */
  twoFactorRequired: boolean;
  /**
   * The account's welcome step is still to do or skip (`/api/auth/me`): offered again at the next
   * sign-in when the tab was closed on it. undefined until the server has said.
   */
  onboarding: boolean | undefined;
  setUser(u: User | null): void;
  /** Asks the server again who is signed in (after turning two-factor on). */
  refresh(): Promise<void>;
  logout(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

/** Who is logged in, asked once at start and cleared whenever any API call answers 401. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [config, setConfig] = useState<PublicConfig | null>(null);
  const [twoFactorRequired, setTwoFactorRequired] = useState(false);
  const [onboarding, setOnboarding] = useState<boolean | undefined>(undefined);

  const refresh = useCallback(async () => {
    const r = await auth.me().catch(() => null);
    setTwoFactorRequired(r?.twoFactorRequired ?? false);
    setOnboarding(r?.onboarding ?? false);
    setUser(r?.user ?? null);
  }, []);

  // A new sign-in asks the server whether it must enrol first, and whether its welcome step waits.
  const signIn = useCallback((u: User | null) => {
    setOnboarding(undefined);
    setUser(u);
    if (u) void refresh();
  }, [refresh]);

  useEffect(() => {
    void refresh();
    auth.config().then(setConfig, () => setConfig({ signupEnabled: true, publicUrl: null }));
    return onUnauthorized(() => setUser(null));
  }, []);

  const logout = useCallback(async () => {
    await auth.logout().catch(() => undefined);
    setUser(null);
  }, []);

  return <SessionContext.Provider value={{ user, config, twoFactorRequired, onboarding, setUser: signIn, refresh, logout }}>{children}</SessionContext.Provider>;
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
