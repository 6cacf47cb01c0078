import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { ConfigProvider, theme } from 'antd';
import antdEn from 'antd/locale/en_US';
import antdZh from 'antd/locale/zh_CN';
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type Locale = 'zh-CN' | 'en';
export type { MessageKey };
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

const STORAGE_KEY = 'apigpt.locale';
const dictionaries: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const antdLocales = { 'zh-CN': antdZh, en: antdEn };

/** A saved choice wins; otherwise the browser's language decides (any Chinese variant → zh-CN). */
export function initialLocale(): Locale {
  const saved = safeStorage()?.getItem(STORAGE_KEY);
  if (saved === 'zh-CN' || saved === 'en') return saved;
  const langs = typeof navigator === 'undefined' ? [] : navigator.languages?.length ? navigator.languages : [navigator.language];
  return langs.some((l) => l?.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // private mode or disabled storage: the choice just is not remembered
  }
}

export function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m));
}

interface I18n {
  locale: Locale;
  setLocale(l: Locale): void;
  t: Translate;
}

const I18nContext = createContext<I18n | null>(null);

/** Holds the language and gives antd the matching locale, so its built-in texts switch too. */
export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    safeStorage()?.setItem(STORAGE_KEY, l);
  }, []);
  const value = useMemo<I18n>(() => {
    const dict = dictionaries[locale];
    return { locale, setLocale, t: (key, vars) => format(dict[key] ?? key, vars) };
  }, [locale, setLocale]);
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
  return (
    <I18nContext.Provider value={value}>
      <ConfigProvider locale={antdLocales[locale]} theme={{ algorithm: theme.defaultAlgorithm, token: { colorPrimary: '#1677ff', borderRadius: 8 } }}>
        {children}
      </ConfigProvider>
    </I18nContext.Provider>
  );
}

export function useI18n(): I18n {
  const ctx = useContext(I18nContext);
  if (!ctx) throw new Error('useI18n outside I18nProvider');
  return ctx;
}

export function useT(): Translate {
  return useI18n().t;
}
