import { Alert } from 'antd';
import { ApiError } from '../api/client';
import { useT } from '../i18n';

/**
 * Shows the server's own error message. A 404 from an unknown route means this server does not
 * have the feature yet, which deserves a calmer explanation than a red error.
 */
export function ErrorAlert({ error, style }: { error: unknown; style?: React.CSSProperties }) {
  const t = useT();
  if (!error) return null;
  if (error instanceof ApiError && error.missing)
    return <Alert type="info" showIcon style={style} title={t('error.notAvailable')} description={error.message} />;
  return <Alert type="error" showIcon style={style} title={(error as Error).message || String(error)} />;
}
