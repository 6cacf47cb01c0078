import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, App as AntApp, Button, Checkbox, Form, Input, Typography } from 'antd';
import { LockOutlined } from '@ant-design/icons';
import { auth } from '../../api/endpoints';
import { useSession } from '../../auth/session';
import { AuthCard } from '../../components/AuthCard';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useT } from '../../i18n';
import { useAction } from '../../lib/useAction';

interface Values {
  password: string;
  confirm: string;
  revokeKeys?: boolean;
}

/** Where the reset mail's link lands: a new password for the account, which then is logged in here. */
export default function ResetPassword() {
  const t = useT();
  const { message } = AntApp.useApp();
  const { setUser } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { busy, error, run } = useAction();

  const submit = (v: Values) =>
    run(async () => {
      const r = await auth.confirmReset(token, v.password, v.revokeKeys === true);
      message.success(t('auth.resetDone'));
      if (r.revokedKeys > 0) message.info(t('auth.keysRevoked', { n: r.revokedKeys }));
      setUser(r.user);
      navigate('/', { replace: true });
    });

  return (
    <AuthCard title={t('auth.resetTitle')} intro={token ? t('auth.resetIntro') : undefined}>
      {!token ? (
        <Alert type="warning" showIcon title={t('auth.resetNoToken')} />
      ) : (
        <>
          <ErrorAlert error={error} style={{ marginBottom: 16 }} />
          <Form<Values> layout="vertical" onFinish={submit} requiredMark={false} disabled={busy}>
            <Form.Item name="password" label={t('auth.newPassword')} extra={t('auth.passwordHint')} rules={[{ required: true, message: t('auth.passwordRequired') }, { min: 8, message: t('auth.passwordMin') }]}>
              <Input.Password prefix={<LockOutlined />} autoComplete="new-password" data-testid="reset-password" />
            </Form.Item>
            <Form.Item
              name="confirm"
              label={t('auth.confirmPassword')}
              dependencies={['password']}
              rules={[
                { required: true, message: t('auth.passwordRequired') },
                ({ getFieldValue }) => ({ validator: (_, value) => (!value || value === getFieldValue('password') ? Promise.resolve() : Promise.reject(new Error(t('auth.passwordMismatch')))) }),
              ]}
            >
              <Input.Password prefix={<LockOutlined />} autoComplete="new-password" data-testid="reset-confirm" />
            </Form.Item>
            <Form.Item name="revokeKeys" valuePropName="checked">
              <Checkbox data-testid="reset-revoke-keys">{t('auth.revokeKeys')}</Checkbox>
            </Form.Item>
            <Button type="primary" htmlType="submit" block size="large" loading={busy}>
              {t('auth.resetSubmit')}
            </Button>
          </Form>
        </>
      )}
      <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0, textAlign: 'center' }}>
        <Link to="/forgot-password">{t('auth.forgotPassword')}</Link> · <Link to="/login">{t('auth.backToLogin')}</Link>
      </Typography.Paragraph>
    </AuthCard>
  );
}
