import { useEffect, useMemo, useState } from 'react';
import { App as AntApp, Button, Card, Flex, Form, Input, Popconfirm, Space, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, FormOutlined, KeyOutlined, PlusOutlined } from '@ant-design/icons';
import { apps, keys, usage } from '../api/endpoints';
import type { ApiKey, App, NewKey } from '../api/types';
import { useBaseUrl } from '../auth/session';
import { CodeSamples } from '../components/CodeSamples';
import { EmptyHint } from '../components/EmptyHint';
import { ErrorAlert, errorText } from '../components/ErrorAlert';
import { FormModal } from '../components/FormModal';
import { useI18n } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { dateOnly } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { KeyLimitsModal } from './integration/KeyLimitsModal';
import { KeyReveal } from './integration/KeyReveal';
import { KeysTable } from './integration/KeysTable';
import { useAction } from '../lib/useAction';

/** Apps and their keys: create an app (its first key is shown once), add, limit, rename and revoke keys. */
export default function Integration() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const baseUrl = useBaseUrl();
  const appList = useAsync(() => apps.list(), []);
  const keyList = useAsync(() => keys.list(), []);
  const models = useAsync(() => usage.models(), []);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<App | null>(null);
  const [revealed, setRevealed] = useState<NewKey | null>(null);
  const [editing, setEditing] = useState<ApiKey | null>(null);

  const keysByApp = useMemo(() => {
    const m = new Map<string, ApiKey[]>();
    for (const k of keyList.data?.items ?? []) m.set(k.app_id, [...(m.get(k.app_id) ?? []), k]);
    return m;
  }, [keyList.data]);

  const reload = () => {
    appList.reload();
    keyList.reload();
  };

  async function newKey(app: App) {
    try {
      setRevealed(await apps.createKey(app.id, t('keys.defaultName', { n: (keysByApp.get(app.id)?.length ?? 0) + 1 })));
      keyList.reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  async function revoke(k: ApiKey) {
    try {
      await keys.revoke(k.id);
      message.success(t('keys.revokedMsg'));
      keyList.reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  async function removeApp(a: App) {
    try {
      await apps.remove(a.id);
      reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  const list = appList.data?.items ?? [];
  return (
    <>
      <PageHeader
        title={t('integration.title')}
        subtitle={t('integration.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
            {t('integration.createApp')}
          </Button>
        }
      />
      <ErrorAlert error={appList.error ?? keyList.error} style={{ marginBottom: 16 }} />

      <Card title={t('integration.endpoint')} style={{ marginBottom: 16 }} size="small">
        <Space orientation="vertical" style={{ width: '100%' }}>
          <Typography.Text>
            {t('integration.baseUrl')}: <Typography.Text code copyable>{`${baseUrl}/v1`}</Typography.Text>
          </Typography.Text>
          <CodeSamples baseUrl={baseUrl} apiKey="YOUR_API_KEY" models={models.data?.items} />
        </Space>
      </Card>

      <Card title={t('integration.editorTitle')} style={{ marginBottom: 16 }} size="small">
        <Flex gap={12} align="center" wrap>
          <Typography.Text style={{ flex: 1, minWidth: 240 }}>{t('integration.editorHelp')}</Typography.Text>
          {/* A plain link: /editor/ is a page of the gateway, not a route of this app. */}
          <Button icon={<FormOutlined />} href="/editor/" target="_blank" rel="noopener" data-testid="editor-demo-link">
            {t('integration.editorDemo')}
          </Button>
        </Flex>
        <Typography.Paragraph style={{ marginTop: 8, marginBottom: 0 }}>
          <Typography.Text code copyable>{`<script type="module" src="${baseUrl}/editor/agi-editor.js"></script>`}</Typography.Text>
        </Typography.Paragraph>
      </Card>

      {!appList.loading && !list.length && !appList.error && (
        <Card>
          <EmptyHint
            text={t('integration.empty')}
            action={
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
                {t('integration.createApp')}
              </Button>
            }
          />
        </Card>
      )}

      <Flex vertical gap={16}>
        {list.map((a) => (
          <Card
            key={a.id}
            loading={keyList.loading && !keyList.data}
            data-testid={`app-${a.name}`}
            title={
              <Space wrap>
                <span>{a.name}</span>
                {a.name === 'Playground' && <Tag color="purple">{t('integration.playgroundApp')}</Tag>}
                <Typography.Text type="secondary" style={{ fontWeight: 'normal', fontSize: 12 }}>
                  {dateOnly(a.created_at, locale)}
                </Typography.Text>
              </Space>
            }
            extra={
              <Space size={4} wrap>
                <Button size="small" icon={<KeyOutlined />} onClick={() => newKey(a)}>
                  {t('integration.newKey')}
                </Button>
                <Button size="small" icon={<EditOutlined />} onClick={() => setRenaming(a)} aria-label={t('common.rename')} />
                <Popconfirm title={t('integration.deleteConfirm')} description={t('integration.deleteHelp')} okButtonProps={{ danger: true }} onConfirm={() => removeApp(a)}>
                  <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
                </Popconfirm>
              </Space>
            }
          >
            {a.description && <Typography.Paragraph type="secondary">{a.description}</Typography.Paragraph>}
            {keysByApp.get(a.id)?.length ? (
              <KeysTable items={keysByApp.get(a.id)!} onEdit={setEditing} onRevoke={revoke} />
            ) : (
              <EmptyHint text={a.name === 'Playground' ? t('integration.playgroundNoKeys') : t('integration.noKeys')} />
            )}
          </Card>
        ))}
      </Flex>

      <AppFormModal
        open={creating}
        title={t('integration.createApp')}
        onClose={() => setCreating(false)}
        onSubmit={async (v) => {
          const r = await apps.create(v.name.trim(), v.description?.trim() || undefined);
          setCreating(false);
          setRevealed(r.key);
          reload();
        }}
      />
      <AppFormModal
        open={!!renaming}
        initial={renaming ?? undefined}
        title={t('integration.editApp')}
        onClose={() => setRenaming(null)}
        onSubmit={async (v) => {
          await apps.update(renaming!.id, { name: v.name.trim(), description: v.description?.trim() || null });
          setRenaming(null);
          appList.reload();
        }}
      />
      <KeyReveal created={revealed} baseUrl={baseUrl} models={models.data?.items} onClose={() => setRevealed(null)} />
      <KeyLimitsModal
        apiKey={editing}
        models={models.data?.items ?? []}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          message.success(t('common.saved'));
          keyList.reload();
        }}
      />
    </>
  );
}

interface AppValues {
  name: string;
  description?: string;
}

/** Create or edit an app; the server's refusal (e.g. a duplicate name) shows inside the dialog. */
function AppFormModal({ open, title, initial, onClose, onSubmit }: { open: boolean; title: string; initial?: App; onClose(): void; onSubmit(v: AppValues): Promise<void> }) {
  const t = useI18n().t;
  const [form] = Form.useForm<AppValues>();
  const action = useAction();
  // Filled when the dialog opens, not after its animation, so typing straight away is not overwritten.
  useEffect(() => {
    if (!open) return;
    action.setError(undefined);
    form.setFieldsValue({ name: initial?.name ?? '', description: initial?.description ?? '' });
  }, [open, initial, form]);
  return (
    <FormModal
      open={open}
      title={title}
      onCancel={onClose}
      form={form}
      action={action}
      onSubmit={onSubmit}
    >
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item name="name" label={t('integration.appName')} rules={[{ required: true, whitespace: true, message: t('integration.appNameRequired') }, { max: 100 }]}>
          <Input placeholder={t('integration.appNamePlaceholder')} autoFocus />
        </Form.Item>
        <Form.Item name="description" label={t('integration.appDescription')} rules={[{ max: 500 }]}>
          <Input.TextArea rows={2} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
