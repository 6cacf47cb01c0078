import { App as AntApp, Checkbox, Form, Input, Modal } from 'antd';
import { ApiError } from '../api/client';
import { auth } from '../api/endpoints';
import { errorText } from '../components/ErrorAlert';
import { useT } from '../i18n';

/** The signed-in user's own password change; the server ends the account's other sessions. */
export function ChangePasswordModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ current: string; next: string; confirm: string; revokeKeys?: boolean }>();

  const submit = async () => {
    const v = await form.validateFields();
    try {
      const r = await auth.changePassword(v.current, v.next, v.revokeKeys === true);
      message.success(t('auth.passwordChanged'));
      if (r.revokedKeys > 0) message.info(t('auth.keysRevoked', { n: r.revokedKeys }));
      form.resetFields();
      onClose();
    } catch (e) {
      // Under the field the server named: a weak new password in the reader's language, a wrong current one in the server's words.
      const field = e instanceof ApiError && e.param === 'newPassword' ? 'next' : 'current';
      form.setFields([{ name: field, errors: [errorText(t, e)] }]);
    }
  };

  return (
    <Modal open={open} title={t('auth.changePassword')} onOk={() => submit().catch(() => undefined)} onCancel={onClose} destroyOnHidden okButtonProps={{ 'data-testid': 'password-save' } as never}>
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item name="current" label={t('auth.currentPassword')} rules={[{ required: true, message: t('auth.passwordRequired') }]}>
          <Input.Password autoComplete="current-password" data-testid="password-current" />
        </Form.Item>
        <Form.Item name="next" label={t('auth.newPassword')} extra={t('auth.passwordHint')} rules={[{ required: true, message: t('auth.passwordRequired') }, { min: 8, message: t('auth.passwordMin') }]}>
          <Input.Password autoComplete="new-password" data-testid="password-new" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('auth.confirmPassword')}
          dependencies={['next']}
          rules={[{ required: true, message: t('auth.passwordRequired') }, ({ getFieldValue }) => ({ validator: (_, value) => (value === getFieldValue('next') ? Promise.resolve() : Promise.reject(new Error(t('auth.passwordMismatch')))) })]}
        >
          <Input.Password autoComplete="new-password" data-testid="password-confirm" />
        </Form.Item>
        <Form.Item name="revokeKeys" valuePropName="checked" style={{ marginBottom: 0 }}>
          <Checkbox data-testid="password-revoke-keys">{t('auth.revokeKeys')}</Checkbox>
        </Form.Item>
      </Form>
    </Modal>
  );
}
