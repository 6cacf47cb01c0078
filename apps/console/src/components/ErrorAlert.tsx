import { Alert } from 'antd';
import { ApiError } from '../api/client';
import { useT, type MessageKey } from '../i18n';

/** Refusals the console words itself, in the reader's language, with the wait the server gave. */
const THROTTLED: Record<string, MessageKey> = { login_locked: 'auth.loginLocked', signup_rate_limited: 'auth.signupLimited' };

/**
 * Shows the server's own error message. A 404 from an unknown route means this server does not
 * have the feature yet, which deserves a calmer explanation than a red error.
 */
export function ErrorAlert({ error, style }: { error: unknown; style?: React.CSSProperties }) {
  const t = useT();
  if (!error) return null;
  if (error instanceof ApiError && error.code && THROTTLED[error.code] && error.retryAfter)
    return <Alert type="warning" showIcon style={style} title={t(THROTTLED[error.code], { seconds: error.retryAfter })} data-testid="throttled" />;
  // The database or Redis is out for a moment (a 503 with retry-after): a calm, translated "try again".
  if (error instanceof ApiError && error.code === 'service_unavailable')
    return <Alert type="warning" showIcon style={style} title={t('error.serviceUnavailable', { seconds: error.retryAfter ?? 2 })} data-testid="service-unavailable" />;
  if (error instanceof ApiError && error.missing)
    return <Alert type="info" showIcon style={style} title={t('error.notAvailable')} description={error.message} />;
  return <Alert type="error" showIcon style={style} title={(error as Error).message || String(error)} />;
}
