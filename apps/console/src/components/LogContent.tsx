import { Button, Flex, Typography } from 'antd';
import { EyeOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { ApiError } from '../api/client';
import { privacy, type LoggedContent } from '../api/privacy';
import { useI18n } from '../i18n';
import { dateTime } from '../lib/format';
import { ErrorAlert } from './ErrorAlert';

/** JSON shown indented when it is JSON (a stream's events are shown as they are). */
function pretty(text: string | null): string {
  if (text === null) return '—';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * A call's logged content, fetched when asked (content logging is off unless an admin turned it on
 * for the call's group or App, so most calls have none).
 */
export function LogContent({ id, admin }: { id: string; admin?: boolean }) {
  const { t, locale } = useI18n();
  const [state, setState] = useState<{ loading: boolean; content?: LoggedContent | null; error?: unknown }>({ loading: false });
  const load = async () => {
    setState({ loading: true });
    try {
      setState({ loading: false, content: await privacy.content(id, Boolean(admin)) });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'content_not_found') setState({ loading: false, content: null });
      else setState({ loading: false, error: err });
    }
  };
  if (state.content === undefined && !state.error)
    return (
      <Button size="small" icon={<EyeOutlined />} loading={state.loading} onClick={load} data-testid="log-content">
        {t('privacy.content.show')}
      </Button>
    );
  if (state.error) return <ErrorAlert error={state.error} />;
  if (state.content === null) return <Typography.Text type="secondary">{t('privacy.content.none')}</Typography.Text>;
  const c = state.content!;
  const block = { maxHeight: 320, overflow: 'auto', whiteSpace: 'pre-wrap' as const, fontSize: 12, margin: 0 };
  return (
    <Flex vertical gap={8} style={{ width: '100%' }}>
      <Typography.Text type="secondary">{t('privacy.content.expires', { time: dateTime(c.expiresAt, locale) })}</Typography.Text>
      <Typography.Text strong>{t('privacy.content.request')}</Typography.Text>
      <Typography.Paragraph code style={block}>{pretty(c.request)}</Typography.Paragraph>
      <Typography.Text strong>{t('privacy.content.response')}</Typography.Text>
      <Typography.Paragraph code style={block}>{pretty(c.response)}</Typography.Paragraph>
    </Flex>
  );
}
