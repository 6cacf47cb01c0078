import { useState } from 'react';
import { Alert } from 'antd';
import { support } from '../api/support';
import { useI18n } from '../i18n';
import { useAsync } from '../lib/useAsync';

/** The published announcements on the dashboard, in the reader's language; each can be dismissed for good. */
export function AnnouncementsBar() {
  const { t, locale } = useI18n();
  const list = useAsync(() => support.announcements(), []);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  // An older server without announcements, or a blip: the dashboard shows without them.
  const items = (list.data?.items ?? []).filter((a) => !hidden.has(a.id));
  return (
    <>
      {items.map((a) => (
        <Alert
          key={a.id}
          type={a.level}
          showIcon
          closable={{ 'aria-label': t('announcements.dismiss') }}
          onClose={() => {
            setHidden((h) => new Set(h).add(a.id));
            void support.dismiss(a.id).catch(() => undefined);
          }}
          style={{ marginBottom: 16 }}
          data-testid="announcement"
          title={a.title[locale]}
          description={<span style={{ whiteSpace: 'pre-wrap' }}>{a.body[locale]}</span>}
        />
      ))}
    </>
  );
}
