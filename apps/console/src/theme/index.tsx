import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ConfigProvider, theme as antdTheme } from 'antd';

/** What the user chose: follow the system's setting (the default), or one of the two. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Scheme = 'light' | 'dark';

const STORAGE_KEY = 'apigpt.theme';
const QUERY = '(prefers-color-scheme: dark)';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // private mode or disabled storage: the choice is just not remembered
  }
}

function savedChoice(): ThemeChoice {
  const v = storage()?.getItem(STORAGE_KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** The system's scheme now, and as it changes (a phone switching to dark at sunset). */
function useSystemScheme(): Scheme {
  const media = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia(QUERY) : null;
  const [dark, setDark] = useState(() => media?.matches ?? false);
  useEffect(() => {
    if (!media) return;
    const on = (e: MediaQueryListEvent) => setDark(e.matches);
    media.addEventListener('change', on);
    return () => media.removeEventListener('change', on);
  }, [media]);
  return dark ? 'dark' : 'light';
}

interface ThemeState {
  choice: ThemeChoice;
  scheme: Scheme;
  setChoice(c: ThemeChoice): void;
}

const ThemeContext = createContext<ThemeState | null>(null);

/**
 * Light or dark, following the system unless the user picked one (kept in localStorage). antd's
 * own dark algorithm recolours every component; the page's few colours of its own (body, code
 * blocks) follow `data-theme` on <html> in styles.css, and `color-scheme` gives scroll bars and
 * form controls the same scheme.
 */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const system = useSystemScheme();
  const [choice, setChoiceState] = useState<ThemeChoice>(savedChoice);
  const scheme: Scheme = choice === 'system' ? system : choice;
  const setChoice = useCallback((c: ThemeChoice) => {
    setChoiceState(c);
    if (c === 'system') storage()?.removeItem(STORAGE_KEY);
    else storage()?.setItem(STORAGE_KEY, c);
  }, []);
  useEffect(() => {
    document.documentElement.dataset.theme = scheme;
    document.documentElement.style.colorScheme = scheme;
  }, [scheme]);
  const value = useMemo(() => ({ choice, scheme, setChoice }), [choice, scheme, setChoice]);
  return (
    <ThemeContext.Provider value={value}>
      <ConfigProvider theme={{ algorithm: scheme === 'dark' ? antdTheme.darkAlgorithm : antdTheme.defaultAlgorithm, token: { colorPrimary: '#1677ff', borderRadius: 8 } }}>
        {children}
      </ConfigProvider>
    </ThemeContext.Provider>
  );
}

export function useTheme(): ThemeState {
  const ctx = useContext(ThemeContext);
  if (!ctx) throw new Error('useTheme outside ThemeProvider');
  return ctx;
}
