import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Form, Input, Typography } from 'antd';
import { MailOutlined } from '@ant-design/icons';
import { auth } from '../../api/endpoints';
import { AuthCard } from '../../components/AuthCard';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { useAction } from '../../lib/useAction';

/**
 * Asks for a reset link. The server answers the same whether the address has an account or not, so
 * this page says "if an account uses it" and never more.
 */
export default function ForgotPassword() {
  const { t, locale } = useI18n();
  const { busy, error, run } = useAction();
  const [sentTo, setSentTo] = useState<string | null>(null);

  const submit = (v: { email: string }) =>
    run(async () => {
      const email = v.email.trim();
      await auth.requestReset(email, locale);
      setSentTo(email);
    });

  return (
    <AuthCard title={t('auth.forgotTitle')} intro={sentTo ? undefined : t('auth.forgotIntro')}>
      {sentTo ? (
        <Alert type="success" showIcon title={t('auth.resetSent', { email: sentTo })} data-testid="reset-sent" style={{ marginBottom: 16 }} />
      ) : (
        <>
          <ErrorAlert error={error} style={{ marginBottom: 16 }} />
          <Form layout="vertical" onFinish={submit} requiredMark={false} disabled={busy}>
            <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('auth.emailRequired') }, { type: 'email', message: t('auth.emailInvalid') }]}>
              <Input prefix={<MailOutlined />} autoComplete="email" placeholder="you@example.com" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block size="large" loading={busy}>
              {t('auth.sendResetLink')}
            </Button>
          </Form>
        </>
      )}
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0, textAlign: 'center' }}>
        <Link to="/login">{t('auth.backToLogin')}</Link>
      </Typography.Paragraph>
    </AuthCard>
  );
}
