import { useState } from 'react';
import { App as AntApp, Button, Card, Checkbox, Flex, Form, Input, InputNumber, Modal, Popconfirm, Radio, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { privacy, type PolicyBody, type PrivacyPolicy } from '../../api/privacy';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n, type MessageKey } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useAsync } from '../../lib/useAsync';

const KINDS = ['email', 'phone', 'id_number', 'bank_card', 'ip'] as const;
type Kind = (typeof KINDS)[number];

interface FormValues {
  scope: 'group' | 'app';
  target: string;
  contentLogging: boolean;
  retentionDays: number;
  redaction: 'off' | 'mask' | 'reversible';
  kinds: Kind[];
  patterns: string;
}

/** `NAME=REGEX` lines as the API's patterns; null when a line is not of that shape. */
function parsePatterns(text: string): { name: string; pattern: string }[] | null {
  const out: { name: string; pattern: string }[] = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf('=');
    if (at < 1 || at === line.length - 1) return null;
    out.push({ name: line.slice(0, at).trim(), pattern: line.slice(at + 1).trim() });
  }
  return out;
}

/** Privacy protection for admins: the policies per group and App, a redaction preview, the purge. */
export default function Privacy() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const list = useAsync(() => privacy.policies(), []);
  const [editing, setEditing] = useState<FormValues | null>(null);
  const [form] = Form.useForm<FormValues>();
  const action = useAction();
  const [preview, setPreview] = useState({ text: '手机 13812345678，邮箱 li.lei@example.com，身份证 11010519491231002X', kinds: [...KINDS] as Kind[] });
  const [previewed, setPreviewed] = useState<string | null>(null);

  const open = (p?: PrivacyPolicy) => {
    const v: FormValues = p
      ? { scope: p.scope, target: p.target, contentLogging: p.contentLogging, retentionDays: p.retentionDays, redaction: p.redaction, kinds: p.kinds as Kind[], patterns: p.patterns.map((c) => `${c.name}=${c.pattern}`).join('\n') }
      : { scope: 'group', target: 'default', contentLogging: false, retentionDays: 30, redaction: 'off', kinds: [], patterns: '' };
    setEditing(v);
    form.setFieldsValue(v);
  };

  const save = (v: FormValues) =>
    action.run(async () => {
      const patterns = parsePatterns(v.patterns ?? '');
      if (!patterns) throw new Error(t('privacy.badPattern'));
      const body: PolicyBody = { contentLogging: v.contentLogging, retentionDays: v.retentionDays, redaction: v.redaction, kinds: v.kinds, patterns };
      await privacy.set(v.scope, v.target.trim(), body);
      message.success(t('privacy.saved'));
      setEditing(null);
      list.reload();
    });

  const remove = (p: PrivacyPolicy) =>
    action.run(async () => {
      await privacy.remove(p.scope, p.target);
      message.success(t('privacy.removed'));
      list.reload();
    });

  const runPreview = () =>
    action.run(async () => {
      const r = await privacy.preview({ text: preview.text, kinds: preview.kinds });
      setPreviewed(r.redacted);
    });

  const purge = () =>
    action.run(async () => {
      const r = await privacy.purge();
      message.success(t('privacy.purged', { n: r.purged }));
    });

  const redaction = Form.useWatch('redaction', form);
  const logging = Form.useWatch('contentLogging', form);

  return (
    <>
      <PageHeader
        title={t('privacy.title')}
        subtitle={t('privacy.subtitle')}
        extra={
          <Space wrap>
            <Button onClick={purge} loading={action.busy}>{t('privacy.purge')}</Button>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => open()}>{t('privacy.add')}</Button>
          </Space>
        }
      />
      <ErrorAlert error={list.error ?? (editing ? null : action.error)} />
      <Card title={t('privacy.policies')} style={{ marginBottom: 16 }}>
        <Table<PrivacyPolicy>
          rowKey={(p) => `${p.scope}:${p.target}`}
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          scroll={{ x: 800 }}
          locale={{ emptyText: <EmptyHint text={t('privacy.empty')} /> }}
          columns={[
            { title: t('privacy.scope'), render: (_, p) => <Space><Tag>{t(`privacy.scope.${p.scope}` as MessageKey)}</Tag><Typography.Text code>{p.target}</Typography.Text></Space> },
            { title: t('privacy.contentLogging'), render: (_, p) => (p.contentLogging ? <Tag color="orange">{t('privacy.on', { days: p.retentionDays })}</Tag> : <Tag>{t('privacy.off')}</Tag>) },
            {
              title: t('privacy.redaction'),
              render: (_, p) =>
                p.redaction === 'off' ? (
                  <Tag>{t('privacy.redaction.off')}</Tag>
                ) : (
                  <Space direction="vertical" size={2}>
                    <Tag color={p.redaction === 'reversible' ? 'green' : 'blue'}>{t(`privacy.redaction.${p.redaction}` as MessageKey)}</Tag>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {[...p.kinds.map((k) => t(`privacy.kind.${k}` as MessageKey)), ...p.patterns.map((c) => c.name)].join(' · ')}
                    </Typography.Text>
                  </Space>
                ),
            },
            { title: t('privacy.updated'), dataIndex: 'updatedAt', render: (v: number) => dateTime(v, locale), width: 180 },
            {
              title: '',
              width: 120,
              render: (_, p) => (
                <Space>
                  <Button size="small" icon={<EditOutlined />} onClick={() => open(p)} aria-label={t('privacy.edit')} />
                  <Popconfirm title={t('privacy.removeConfirm')} onConfirm={() => remove(p)}>
                    <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('privacy.remove')} />
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <Card title={t('privacy.preview')}>
        <Flex vertical gap={12}>
          <Input.TextArea rows={3} value={preview.text} onChange={(e) => setPreview({ ...preview, text: e.target.value })} aria-label={t('privacy.previewText')} />
          <Checkbox.Group value={preview.kinds} onChange={(v) => setPreview({ ...preview, kinds: v as Kind[] })} options={KINDS.map((k) => ({ value: k, label: t(`privacy.kind.${k}` as MessageKey) }))} />
          <div>
            <Button onClick={runPreview} loading={action.busy}>{t('privacy.previewRun')}</Button>
          </div>
          {previewed !== null && (
            <div>
              <Typography.Text type="secondary">{t('privacy.previewResult')}</Typography.Text>
              <Typography.Paragraph code style={{ whiteSpace: 'pre-wrap' }}>{previewed}</Typography.Paragraph>
            </div>
          )}
        </Flex>
      </Card>
      <Modal open={editing !== null} title={editing && list.data?.items.some((p) => p.scope === editing.scope && p.target === editing.target) ? t('privacy.edit') : t('privacy.add')} onCancel={() => setEditing(null)} onOk={() => form.submit()} confirmLoading={action.busy} destroyOnHidden width={640}>
        <ErrorAlert error={action.error} />
        <Form form={form} layout="vertical" onFinish={save}>
          <Space.Compact style={{ width: '100%' }}>
            <Form.Item name="scope" label={t('privacy.scope')} style={{ width: 160 }}>
              <Select options={[{ value: 'group', label: t('privacy.scope.group') }, { value: 'app', label: t('privacy.scope.app') }]} />
            </Form.Item>
            <Form.Item name="target" label={t('privacy.target')} rules={[{ required: true }]} style={{ flex: 1 }}>
              <Input />
            </Form.Item>
          </Space.Compact>
          <Form.Item name="contentLogging" label={t('privacy.contentLogging')} valuePropName="checked" extra={t('privacy.contentLoggingHelp')}>
            <Switch />
          </Form.Item>
          <Form.Item name="retentionDays" label={t('privacy.retentionDays')} hidden={!logging}>
            <InputNumber min={1} max={3650} precision={0} />
          </Form.Item>
          <Form.Item name="redaction" label={t('privacy.redaction')}>
            <Radio.Group options={(['off', 'mask', 'reversible'] as const).map((m) => ({ value: m, label: t(`privacy.redaction.${m}` as MessageKey) }))} />
          </Form.Item>
          <Form.Item name="kinds" label={t('privacy.kinds')} hidden={redaction === 'off'}>
            <Checkbox.Group options={KINDS.map((k) => ({ value: k, label: t(`privacy.kind.${k}` as MessageKey) }))} />
          </Form.Item>
          <Form.Item name="patterns" label={t('privacy.patterns')} extra={t('privacy.patternsHelp')} hidden={redaction === 'off'}>
            <Input.TextArea rows={3} style={{ fontFamily: 'monospace' }} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}
