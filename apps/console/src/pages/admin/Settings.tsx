import { useEffect } from 'react';
import { App as AntApp, Button, Card, Form, InputNumber, Skeleton, Switch } from 'antd';
import { admin } from '../../api/endpoints';
import type { SystemSettings } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useT } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { useAsync } from '../../lib/useAsync';
import { useAction } from '../../lib/useAction';

/** Server-wide switches: the trial grant, whether anyone may sign up, the default low-balance warning, prompt-cache affinity's lifetime, two-factor for admins. */
export default function Settings() {
  const t = useT();
  const { message } = AntApp.useApp();
  const current = useAsync(() => admin.settings(), []);
  const [form] = Form.useForm<SystemSettings>();
  const { busy, error, run } = useAction();

  useEffect(() => {
    if (current.data) form.setFieldsValue(current.data);
  }, [current.data, form]);

  async function save(v: SystemSettings) {
    await run(async () => {
      form.setFieldsValue(await admin.saveSettings(v));
      message.success(t('common.saved'));
    });
  }

  return (
    <>
      <PageHeader title={t('nav.settings')} subtitle={t('settings.subtitle')} />
      <Card style={{ maxWidth: 560 }}>
        <ErrorAlert error={current.error ?? error} style={{ marginBottom: 16 }} />
        {current.loading ? (
          <Skeleton active />
        ) : current.data ? (
          <Form form={form} layout="vertical" onFinish={save} disabled={busy}>
            <Form.Item name="signupEnabled" label={t('settings.signupEnabled')} valuePropName="checked" extra={t('settings.signupHelp')}>
              <Switch />
            </Form.Item>
            <Form.Item name="trialCredit" label={t('settings.trialCredit')} rules={[{ required: true }]} extra={t('settings.trialHelp')}>
              <InputNumber min={0} style={{ width: '100%' }} suffix="P" />
            </Form.Item>
            <Form.Item name="lowBalanceDefault" label={t('settings.lowBalanceDefault')} rules={[{ required: true }]} extra={t('settings.lowBalanceHelp')}>
              <InputNumber min={0} style={{ width: '100%' }} suffix="P" />
            </Form.Item>
            <Form.Item name="affinityTtlSec" label={t('settings.affinityTtl')} rules={[{ required: true }]} extra={t('settings.affinityTtlHelp')}>
              <InputNumber min={60} max={604800} precision={0} style={{ width: '100%' }} suffix={t('channels.seconds')} />
            </Form.Item>
            <Form.Item name="requireAdminTwoFactor" label={t('tf.settingRequire')} valuePropName="checked" extra={t('tf.settingRequireHelp')}>
              <Switch data-testid="require-admin-2fa" />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={busy}>
              {t('common.save')}
            </Button>
          </Form>
        ) : null}
      </Card>
    </>
  );
}
