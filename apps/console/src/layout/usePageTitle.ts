import { useEffect } from 'react';

/**
 * The tab's title for the page shown: "<page> · APIGPT", so tabs, history and bookmarks say which
 * page they are (and a screen reader announces it on navigation). Follows the language.
 */
export function usePageTitle(title: unknown): void {
  useEffect(() => {
    if (typeof title === 'string' && title) document.title = `${title} · APIGPT`;
  }, [title]);
}
