import { Alert, App as AntApp, Button } from 'antd';
import { auth } from '../api/endpoints';
import { useSession } from '../auth/session';
import { errorText } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { useAction } from '../lib/useAction';

/** Shown on every page while the account waits for its address to be confirmed (mail on): its trial credit waits too. */
export function VerifyBanner() {
  const { t, locale } = useI18n();
  const { user } = useSession();
  const { message } = AntApp.useApp();
  const { busy, run } = useAction();
  if (!user?.email_pending) return null;

  const resend = () =>
    run(async () => {
      try {
        await auth.resendVerification(locale);
        message.success(t('auth.resent', { email: user.email }));
      } catch (e) {
        message.error(errorText(t, e));
      }
    });

  return (
    <Alert
      type="warning"
      showIcon
      banner
      data-testid="verify-banner"
      title={t('auth.verifyBanner', { email: user.email })}
      action={
        <Button size="small" onClick={resend} loading={busy}>
          {t('auth.resend')}
        </Button>
      }
    />
  );
}
