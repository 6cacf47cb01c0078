import { useEffect, useState } from 'react';
import { App as AntApp, Badge, Button, Card, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { admin } from '../../api/endpoints';
import type { Channel, ChannelTestResult, Provider } from '../../api/types';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { validated } from '../../lib/forms';
import { useT } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { splitList } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

/** Upstream channels: where requests go, in which order (priority tiers, weights inside a tier). */
export default function Channels() {
  const t = useT();
  const { message } = AntApp.useApp();
  const list = useAsync(() => admin.channels(), []);
  const providers = useAsync(() => admin.providers(), []);
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [tests, setTests] = useState<Record<string, ChannelTestResult | 'running'>>({});

  async function test(c: Channel) {
    setTests((s) => ({ ...s, [c.id]: 'running' }));
    try {
      const r = await admin.testChannel(c.id);
      setTests((s) => ({ ...s, [c.id]: r }));
    } catch (e) {
      setTests((s) => ({ ...s, [c.id]: { ok: false, latencyMs: 0, status: null, model: null, message: (e as Error).message } }));
    }
  }

  async function toggle(c: Channel, on: boolean) {
    try {
      await admin.setChannelEnabled(c.id, on);
      list.reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  async function remove(c: Channel) {
    try {
      await admin.deleteChannel(c.id);
      list.reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  return (
    <>
      <PageHeader
        title={t('nav.channels')}
        subtitle={t('channels.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
            {t('channels.create')}
          </Button>
        }
      />
      <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Channel>
          rowKey="id"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 1000 }}
          pagination={false}
          locale={{ emptyText: <EmptyHint text={t('channels.empty')} action={<Button onClick={() => setEditing('new')}>{t('channels.create')}</Button>} /> }}
          columns={[
            {
              title: t('channels.name'),
              dataIndex: 'name',
              render: (n: string, c) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>{n}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {c.baseUrl}
                  </Typography.Text>
                </Space>
              ),
            },
            { title: t('channels.provider'), dataIndex: 'provider', render: (p: string, c) => <>{p} {c.simulated && <Tag color="purple">{t('channels.simulated')}</Tag>}</> },
            { title: t('channels.models'), dataIndex: 'models', ellipsis: true, render: (m: string[]) => <Tooltip title={m.join(', ')}>{m.length ? m.slice(0, 3).join(', ') + (m.length > 3 ? ` +${m.length - 3}` : '') : t('channels.anyModel')}</Tooltip> },
            { title: t('channels.priority'), dataIndex: 'priority', align: 'right' },
            { title: t('channels.weight'), dataIndex: 'weight', align: 'right' },
            {
              title: t('channels.health'),
              key: 'health',
              render: (_, c) =>
                !c.enabled ? <Badge status="default" text={t('channels.disabled')} /> : c.health?.state === 'open' ? <Badge status="error" text={t('channels.circuitOpen')} /> : c.health?.state === 'half_open' ? <Badge status="warning" text={t('channels.circuitHalf')} /> : <Badge status="success" text={t('channels.enabled')} />,
            },
            { title: t('channels.lastTest'), key: 'test', render: (_, c) => <TestResult r={tests[c.id]} /> },
            { title: t('channels.enabledCol'), dataIndex: 'enabled', render: (on: boolean, c) => <Switch size="small" checked={on} onChange={(v) => toggle(c, v)} aria-label={t('channels.enabledCol')} /> },
            {
              title: '',
              key: 'actions',
              fixed: 'right',
              render: (_, c) => (
                <Space size={4}>
                  <Button size="small" icon={<ThunderboltOutlined />} loading={tests[c.id] === 'running'} onClick={() => test(c)} data-testid={`test-${c.name}`}>
                    {t('channels.test')}
                  </Button>
                  <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(c)} aria-label={t('common.edit')} />
                  <Popconfirm title={t('channels.deleteConfirm')} okButtonProps={{ danger: true }} onConfirm={() => remove(c)}>
                    <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <ChannelForm
        channel={editing}
        providers={providers.data?.items ?? []}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          message.success(t('common.saved'));
          list.reload();
        }}
      />
    </>
  );
}

function TestResult({ r }: { r: ChannelTestResult | 'running' | undefined }) {
  const t = useT();
  if (!r) return <Typography.Text type="secondary">—</Typography.Text>;
  if (r === 'running') return <Typography.Text type="secondary">{t('channels.testing')}</Typography.Text>;
  return (
    <Tooltip title={r.message}>
      <Tag color={r.ok ? 'green' : 'red'} data-testid="channel-test-result">
        {r.ok ? t('channels.testOk', { ms: Math.round(r.latencyMs) }) : t('channels.testFail', { status: r.status ?? '—' })}
      </Tag>
    </Tooltip>
  );
}

interface ChannelValues {
  provider: string;
  name: string;
  baseUrl: string;
  secret?: string;
  models?: string;
  modelMap?: string;
  groups?: string;
  weight: number;
  priority: number;
  enabled: boolean;
}

/** "from=to" lines ⇄ a model map: how a public model name maps onto the upstream's name. */
function parseMap(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of splitList(s)) {
    const [from, to] = line.split('=').map((x) => x.trim());
    if (from && to) out[from] = to;
  }
  return out;
}

function ChannelForm({ channel, providers, onClose, onSaved }: { channel: Channel | 'new' | null; providers: Provider[]; onClose(): void; onSaved(): void }) {
  const t = useT();
  const [form] = Form.useForm<ChannelValues>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const existing = channel && channel !== 'new' ? channel : null;
  const provider = Form.useWatch('provider', form);
  const needsSecret = providers.find((p) => p.kind === provider)?.needsSecret ?? false;

  // Filled as the dialog opens (not after its animation) so early typing is kept.
  useEffect(() => {
    if (!channel) return;
    setError(undefined);
    form.resetFields();
    if (existing)
      form.setFieldsValue({
        ...existing,
        secret: '',
        models: existing.models.join('\n'),
        modelMap: Object.entries(existing.modelMap).map(([a, b]) => `${a}=${b}`).join('\n'),
        groups: existing.groups.join(', '),
      });
  }, [channel, existing, form]);

  async function save() {
    const v = await validated(form);
    if (!v) return;
    const body = {
      provider: v.provider,
      name: v.name.trim(),
      baseUrl: v.baseUrl.trim(),
      models: splitList(v.models),
      modelMap: parseMap(v.modelMap),
      groups: splitList(v.groups),
      weight: v.weight,
      priority: v.priority,
      enabled: v.enabled,
      // Blank secret on edit keeps the stored one: the server never sends it back to show.
      ...(v.secret ? { secret: v.secret } : {}),
    };
    setBusy(true);
    setError(undefined);
    try {
      if (existing) await admin.updateChannel(existing.id, body);
      else await admin.createChannel(body);
      onSaved();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      open={!!channel}
      title={existing ? t('channels.edit', { name: existing.name }) : t('channels.create')}
      onCancel={onClose}
      onOk={save}
      okText={t('common.save')}
      confirmLoading={busy}
      width={640}
      destroyOnHidden
      forceRender
    >
      <ErrorAlert error={error} style={{ marginBottom: 12 }} />
      <Form form={form} layout="vertical" requiredMark={false} initialValues={{ weight: 1, priority: 0, enabled: true, provider: 'openai-compatible' }}>
        <Form.Item name="provider" label={t('channels.provider')} rules={[{ required: true }]}>
          <Select showSearch options={providers.map((p) => ({ value: p.kind, label: `${p.label} (${p.kind})` }))} data-testid="channel-provider" />
        </Form.Item>
        <Form.Item name="name" label={t('channels.name')} rules={[{ required: true, whitespace: true, message: t('channels.nameRequired') }, { max: 100 }]}>
          <Input data-testid="channel-name" />
        </Form.Item>
        <Form.Item name="baseUrl" label={t('channels.baseUrl')} rules={[{ required: true, message: t('channels.baseUrlRequired') }, { type: 'url', message: t('channels.baseUrlInvalid') }]}>
          <Input placeholder="https://api.openai.com/v1" data-testid="channel-baseurl" />
        </Form.Item>
        <Form.Item name="secret" label={t('channels.secret')} extra={existing?.hasSecret ? t('channels.secretKeep') : undefined} rules={[{ required: needsSecret && !existing?.hasSecret, message: t('channels.secretRequired') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="models" label={t('channels.models')} extra={t('channels.modelsHelp')}>
          <Input.TextArea rows={3} placeholder={'gpt-4o-mini\ngpt-4o'} data-testid="channel-models" />
        </Form.Item>
        <Form.Item name="modelMap" label={t('channels.modelMap')} extra={t('channels.modelMapHelp')}>
          <Input.TextArea rows={2} placeholder="gpt-4o=my-azure-deployment" />
        </Form.Item>
        <Form.Item name="groups" label={t('channels.groups')} extra={t('channels.groupsHelp')}>
          <Input placeholder="default, vip" />
        </Form.Item>
        <Space wrap size={16}>
          <Form.Item name="priority" label={t('channels.priority')} extra={t('channels.priorityHelp')}>
            <InputNumber precision={0} />
          </Form.Item>
          <Form.Item name="weight" label={t('channels.weight')} extra={t('channels.weightHelp')}>
            <InputNumber min={0} precision={0} />
          </Form.Item>
          <Form.Item name="enabled" label={t('channels.enabledCol')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}
