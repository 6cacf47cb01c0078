import { useEffect, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, Button, Spin } from 'antd';
import { auth } from '../../api/endpoints';
import { useSession } from '../../auth/session';
import { AuthCard } from '../../components/AuthCard';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useT } from '../../i18n';

/**
 * Where the confirmation mail's link lands. The token is posted, not carried by the link's GET: mail
 * scanners that open every link of a message must not confirm addresses on their own.
 */
export default function VerifyEmail() {
  const t = useT();
  const { user, setUser } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [state, setState] = useState<{ done?: { opened: boolean }; error?: unknown }>({});
  // One request per token, however often React runs the effect.
  const sent = useRef<string | null>(null);

  useEffect(() => {
    if (!token || sent.current === token) return;
    sent.current = token;
    auth.verifyEmail(token).then(
      (r) => {
        setState({ done: { opened: r.opened } });
        // A logged-in reader's banner goes away at once.
        if (user) auth.me().then((m) => setUser(m.user), () => undefined);
      },
      (error: unknown) => setState({ error }),
    );
  }, [token, user, setUser]);

  return (
    <AuthCard title={t('auth.verifyTitle')}>
      {!token ? (
        <Alert type="warning" showIcon title={t('auth.verifyLinkInvalid')} />
      ) : state.done ? (
        <Alert type="success" showIcon title={t(state.done.opened ? 'auth.verifiedOpened' : 'auth.verified')} data-testid="email-verified" />
      ) : state.error ? (
        <ErrorAlert error={state.error} />
      ) : (
        <Spin tip={t('auth.verifying')}>
          <div style={{ height: 48 }} />
        </Spin>
      )}
      <Button type="primary" block style={{ marginTop: 16 }} onClick={() => navigate(user ? '/' : '/login')}>
        {user ? t('auth.goToConsole') : t('auth.login')}
      </Button>
    </AuthCard>
  );
}
