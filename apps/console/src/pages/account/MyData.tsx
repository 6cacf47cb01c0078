import { useState } from 'react';
import { App as AntApp, Button, Card, Form, Input, Popconfirm, Space, Typography } from 'antd';
import { DeleteOutlined, DownloadOutlined } from '@ant-design/icons';
import { privacy } from '../../api/privacy';
import { useSession } from '../../auth/session';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useT } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { useAction } from '../../lib/useAction';

/** The user's own data: the JSON export, and deleting the account (password confirmed). */
export default function MyData() {
  const t = useT();
  const { message } = AntApp.useApp();
  const { user, setUser } = useSession();
  const exporting = useAction();
  const deleting = useAction();
  const [password, setPassword] = useState('');

  const download = () =>
    exporting.run(async () => {
      const data = await privacy.exportData();
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `apigpt-account-${user?.id ?? 'export'}.json`;
      a.click();
      URL.revokeObjectURL(url);
    });

  const remove = () =>
    deleting.run(async () => {
      await privacy.deleteAccount(password);
      message.success(t('myData.deleted'));
      // The server ended every session of the account: back to the sign-in page.
      setUser(null);
    });

  return (
    <>
      <PageHeader title={t('myData.title')} subtitle={t('myData.subtitle')} />
      <Card title={t('myData.export')} style={{ marginBottom: 16 }}>
        <Typography.Paragraph type="secondary">{t('myData.exportHelp')}</Typography.Paragraph>
        <ErrorAlert error={exporting.error} style={{ marginBottom: 12 }} />
        <Button icon={<DownloadOutlined />} onClick={download} loading={exporting.busy} data-testid="export-data">
          {t('myData.exportButton')}
        </Button>
      </Card>
      <Card title={<Typography.Text type="danger">{t('myData.delete')}</Typography.Text>}>
        <Typography.Paragraph type="secondary">{t('myData.deleteHelp')}</Typography.Paragraph>
        <ErrorAlert error={deleting.error} style={{ marginBottom: 12 }} />
        <Form layout="vertical" style={{ maxWidth: 360 }}>
          <Form.Item label={t('myData.password')} htmlFor="delete-password">
            <Input.Password value={password} onChange={(e) => setPassword(e.target.value)} id="delete-password" aria-label={t('myData.password')} autoComplete="current-password" data-testid="delete-password" />
          </Form.Item>
          <Space>
            <Popconfirm title={t('myData.confirm')} onConfirm={remove} okButtonProps={{ danger: true }} disabled={!password}>
              <Button danger icon={<DeleteOutlined />} disabled={!password} loading={deleting.busy} data-testid="delete-account">
                {t('myData.deleteButton')}
              </Button>
            </Popconfirm>
          </Space>
        </Form>
      </Card>
    </>
  );
}
