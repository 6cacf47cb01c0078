import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Flex, Form, Input, Typography } from 'antd';
import { LockOutlined, MailOutlined, SafetyOutlined } from '@ant-design/icons';
import { ApiError } from '../api/client';
import type { User } from '../api/types';
import { auth } from '../api/endpoints';
import { useSession } from '../auth/session';
import { useI18n } from '../i18n';
import { LanguageSwitch } from '../layout/LanguageSwitch';
import { ErrorAlert } from '../components/ErrorAlert';
import { usePageTitle } from '../layout/usePageTitle';
import { useConsoleT } from '../i18n/console-quality';

interface Values {
  email: string;
  password: string;
  confirm?: string;
  displayName?: string;
}

/** Log-in and sign-up share one card: sign-up needs no approval and lands on the dashboard logged in. */
export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const { t, locale } = useI18n();
  const { setUser, config } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  // The password was right and the account has two-factor on: the code is still to come.
  const [challenge, setChallenge] = useState<string | null>(null);
  const signup = mode === 'signup';
  // An invitation link (`/signup?ref=CODE`, the Invite friends page): the code rides with the sign-up.
  const [params] = useSearchParams();
  const referralCode = signup ? params.get('ref')?.trim() || undefined : undefined;
  const tq = useConsoleT();
  usePageTitle(tq(signup ? 'page.signup' : 'page.login'));

  async function submit(v: Values) {
    setBusy(true);
    setError(undefined);
    try {
      // The confirmation mail (mail on) leads with the language this page is shown in.
      const r = signup ? await auth.signup(v.email.trim(), v.password, v.displayName?.trim() || undefined, locale, referralCode) : await auth.login(v.email.trim(), v.password);
      if ('twoFactor' in r && r.twoFactor) return setChallenge(r.twoFactor.challenge);
      // The route re-renders as signed in and redirects (see SignedIn in routes.tsx).
      if (r.user) setUser(r.user);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Flex vertical align="center" justify="center" className="auth-bg" style={{ minHeight: '100vh', padding: 16 }}>
      <Flex justify="flex-end" style={{ width: '100%', maxWidth: 420, marginBottom: 12 }}>
        <LanguageSwitch />
      </Flex>
      <Card style={{ width: '100%', maxWidth: 420 }}>
        <Typography.Title level={1} style={{ marginTop: 0, marginBottom: 4, fontSize: 30 }}>
          APIGPT
        </Typography.Title>
        <Typography.Paragraph type="secondary">{signup ? t(config?.mail ? 'auth.signupTaglineMail' : 'auth.signupTagline') : t('auth.loginTagline')}</Typography.Paragraph>
        {signup && config && !config.signupEnabled && <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t('auth.signupClosed')} />}
        {referralCode && <Alert type="success" showIcon style={{ marginBottom: 16 }} title={t('invite.signupCode', { code: referralCode })} data-testid="signup-invited" />}
        {challenge ? (
          <SecondStep challenge={challenge} onBack={() => setChallenge(null)} onSignedIn={setUser} />
        ) : (
        <>
        <ErrorAlert error={error} style={{ marginBottom: 16 }} />
        <Form<Values> layout="vertical" onFinish={submit} requiredMark={false} disabled={busy}>
          <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('auth.emailRequired') }, { type: 'email', message: t('auth.emailInvalid') }]}>
            <Input prefix={<MailOutlined />} autoComplete="email" placeholder="you@example.com" />
          </Form.Item>
          {signup && (
            <Form.Item name="displayName" label={t('auth.displayName')} rules={[{ max: 100 }]}>
              <Input autoComplete="nickname" />
            </Form.Item>
          )}
          <Form.Item
            name="password"
            label={t('auth.password')}
            extra={signup ? t('auth.passwordHint') : undefined}
            rules={[{ required: true, message: t('auth.passwordRequired') }, ...(signup ? [{ min: 8, message: t('auth.passwordMin') }] : [])]}
          >
            <Input.Password prefix={<LockOutlined />} autoComplete={signup ? 'new-password' : 'current-password'} />
          </Form.Item>
          {signup && (
            <Form.Item
              name="confirm"
              label={t('auth.confirmPassword')}
              dependencies={['password']}
              rules={[
                { required: true, message: t('auth.passwordRequired') },
                ({ getFieldValue }) => ({
                  validator: (_, value) => (!value || value === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('auth.passwordMismatch')))),
                }),
              ]}
            >
              <Input.Password prefix={<LockOutlined />} autoComplete="new-password" />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit" block size="large" loading={busy}>
            {signup ? t('auth.signup') : t('auth.login')}
          </Button>
        </Form>
        {!signup && config?.mail && (
          <Typography.Paragraph style={{ marginTop: 12, marginBottom: 0, textAlign: 'center' }}>
            <Link to="/forgot-password">{t('auth.forgotPassword')}</Link>
          </Typography.Paragraph>
        )}
        <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0, textAlign: 'center' }}>
          {signup ? (
            <>
              {t('auth.haveAccount')} <Link to="/login">{t('auth.login')}</Link>
            </>
          ) : (
            <>
              {t('auth.noAccount')} <Link to="/signup">{t('auth.signup')}</Link>
            </>
          )}
        </Typography.Paragraph>
        </>
        )}
      </Card>
    </Flex>
  );
}

/**
 * The log-in's second step: the code from the authenticator app, or a recovery code. A wrong code
 * is shown in the reader's language and counts like a wrong password (the server throttles both).
 */
function SecondStep({ challenge, onBack, onSignedIn }: { challenge: string; onBack: () => void; onSignedIn: (u: User) => void }) {
  const { t } = useI18n();
  const [recovery, setRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [form] = Form.useForm<{ code: string }>();

  async function submit(v: { code: string }) {
    setBusy(true);
    setError(undefined);
    try {
      const r = await auth.loginSecondStep(challenge, recovery ? { recoveryCode: v.code.trim() } : { code: v.code.trim() });
      onSignedIn(r.user);
    } catch (e) {
      setError(e);
      form.setFieldValue('code', '');
      // An expired challenge cannot be retried: back to the password.
      if (e instanceof ApiError && e.code === 'challenge_expired') onBack();
    } finally {
      setBusy(false);
    }
  }

  return (
    <div data-testid="two-factor-step">
      <Typography.Title level={4} style={{ marginTop: 0 }}>
        <SafetyOutlined /> {t('tf.loginTitle')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t(recovery ? 'tf.loginRecoveryHelp' : 'tf.loginHelp')}</Typography.Paragraph>
      <ErrorAlert error={error} style={{ marginBottom: 16 }} />
      <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} disabled={busy}>
        <Form.Item
          name="code"
          label={recovery ? t('tf.recoveryCode') : t('tf.code')}
          rules={[{ required: true, message: t('tf.codeRequired') }, ...(recovery ? [] : [{ pattern: /^\s*\d{6}\s*$/, message: t('tf.codeFormat') }])]}
        >
          {recovery ? (
            <Input autoComplete="off" autoFocus placeholder="xxxx-xxxx-xxxx-xxxx" data-testid="two-factor-recovery-input" />
          ) : (
            <Input autoComplete="one-time-code" inputMode="numeric" maxLength={6} autoFocus placeholder="123456" style={{ letterSpacing: 4, fontSize: 18 }} data-testid="two-factor-code-input" />
          )}
        </Form.Item>
        <Button type="primary" htmlType="submit" block size="large" loading={busy} data-testid="two-factor-verify">
          {t('tf.verify')}
        </Button>
      </Form>
      <Flex justify="space-between" style={{ marginTop: 12 }}>
        <Button type="link" style={{ padding: 0 }} onClick={() => { setRecovery(!recovery); setError(undefined); form.resetFields(); }} data-testid="two-factor-switch">
          {recovery ? t('tf.useApp') : t('tf.useRecovery')}
        </Button>
        <Button type="link" style={{ padding: 0 }} onClick={onBack}>
          {t('tf.backToLogin')}
        </Button>
      </Flex>
    </div>
  );
}
