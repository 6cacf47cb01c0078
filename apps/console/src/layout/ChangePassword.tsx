import { App as AntApp, Form, Input, Modal } from 'antd';
import { auth } from '../api/endpoints';
import { useT } from '../i18n';

/** The signed-in user's own password change; the server ends the account's other sessions. */
export function ChangePasswordModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ current: string; next: string; confirm: string }>();

  const submit = async () => {
    const v = await form.validateFields();
    try {
      await auth.changePassword(v.current, v.next);
      message.success(t('auth.passwordChanged'));
      form.resetFields();
      onClose();
    } catch (e) {
      // The server's own words (a wrong current password names that field).
      form.setFields([{ name: 'current', errors: [(e as Error).message] }]);
    }
  };

  return (
    <Modal open={open} title={t('auth.changePassword')} onOk={() => submit().catch(() => undefined)} onCancel={onClose} destroyOnHidden okButtonProps={{ 'data-testid': 'password-save' } as never}>
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item name="current" label={t('auth.currentPassword')} rules={[{ required: true, message: t('auth.passwordRequired') }]}>
          <Input.Password autoComplete="current-password" data-testid="password-current" />
        </Form.Item>
        <Form.Item name="next" label={t('auth.newPassword')} rules={[{ required: true, message: t('auth.passwordRequired') }, { min: 8, message: t('auth.passwordMin') }]}>
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
      </Form>
    </Modal>
  );
}
