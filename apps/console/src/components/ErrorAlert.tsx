import { Alert } from 'antd';
import { ApiError } from '../api/client';
import { useT, type MessageKey, type Translate } from '../i18n';
import { errorsEn } from '../i18n/errors';

/** Refusals the console words itself, in the reader's language, with the wait the server gave. */
const THROTTLED: Record<string, MessageKey> = { login_locked: 'auth.loginLocked', signup_rate_limited: 'auth.signupLimited', mail_rate_limited: 'auth.mailLimited' };

/** Account refusals the console words itself (the server's message is English). */
const TRANSLATED: Record<string, MessageKey> = {
  weak_password: 'auth.weakPassword',
  reset_link_invalid: 'auth.resetLinkInvalid',
  verify_link_invalid: 'auth.verifyLinkInvalid',
  mail_off: 'auth.mailOff',
  email_confirmed: 'auth.emailConfirmed',
  invalid_two_factor_code: 'tf.err.invalidCode',
  challenge_expired: 'tf.err.challengeExpired',
  two_factor_required: 'tf.err.required',
  two_factor_enabled: 'tf.err.alreadyOn',
  two_factor_not_enabled: 'tf.err.notOn',
  two_factor_not_set_up: 'tf.err.notSetUp',
  // Privacy (i18n/privacy.ts).
  admin_account: 'error.admin_account',
  content_not_found: 'error.content_not_found',
  app_not_found: 'error.app_not_found',
  policy_not_found: 'error.policy_not_found',
  session_required: 'error.session_required',
};

/** Refusals the console names in the reader's language, followed by the server's detail (which rule, which pattern). */
const NAMED: Record<string, MessageKey> = {
  invalid_rule: 'safety.error.invalid_rule',
  invalid_policy: 'safety.error.invalid_policy',
  rule_not_found: 'safety.error.rule_not_found',
  policy_not_found: 'safety.error.policy_not_found',
  app_not_found: 'safety.error.app_not_found',
  content_filter: 'safety.error.content_filter',
  moderation_unavailable: 'safety.error.moderation_unavailable',
};
/** The console's text for a server error code (`i18n/errors.ts`), or undefined when it has none. */
export function codeText(t: Translate, code: string | null | undefined): string | undefined {
  return code && Object.prototype.hasOwnProperty.call(errorsEn, `err.${code}`) ? t(`err.${code}` as MessageKey) : undefined;
}

/**
 * A logged call's error as the reader reads it: the console's text for its code, then the message
 * the caller received (the API's own words, in its dialect, naming the model or the parameter).
 */
export function callErrorText(t: Translate, code: string | null | undefined, message: string | null | undefined): string {
  const known = codeText(t, code);
  return [known, message && message !== known ? message : null].filter(Boolean).join(' — ') || code || '';
}

/** The reader-language text of an error the console translates, or the server's own words. */
export function errorText(t: Translate, error: unknown): string {
  if (error instanceof ApiError && error.code && TRANSLATED[error.code]) return t(TRANSLATED[error.code]);
  // Which part of a privacy policy is wrong is the server's own (English) detail.
  if (error instanceof ApiError && error.code === 'invalid_privacy_policy') return t('error.invalid_privacy_policy', { message: error.message });
  if (error instanceof ApiError && error.code && NAMED[error.code]) return `${t(NAMED[error.code])}: ${error.message}`;
  const known = error instanceof ApiError && !(error.code && THROTTLED[error.code] && error.retryAfter) ? codeText(t, error.code) : undefined;
  if (known) return known;
  if (error instanceof ApiError && error.code && THROTTLED[error.code] && error.retryAfter) return t(THROTTLED[error.code], { seconds: error.retryAfter });
  return (error as Error)?.message || String(error);
}

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
  const text = errorText(t, error);
  // A translated title keeps the server's own sentence as the detail: it names values (the sizes a model takes, a limit).
  const detail = error instanceof ApiError && text !== error.message ? error.message : undefined;
  return <Alert type="error" showIcon style={style} title={text} description={detail} data-testid="error-alert" />;
}
