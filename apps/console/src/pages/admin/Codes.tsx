import { useState } from 'react';
import { App as AntApp, Button, Card, Col, DatePicker, Form, Input, InputNumber, Modal, Row, Segmented, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined, PlusOutlined } from '@ant-design/icons';
import { admin } from '../../api/endpoints';
import type { RedemptionCode } from '../../api/types';
import { CopyButton } from '../../components/CopyButton';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime, downloadCsv, money } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useAction } from '../../lib/useAction';

type Status = 'all' | 'unused' | 'used' | 'expired';

/** Redemption codes: generate a batch (shown and exportable at once), then see which were used and by whom. */
export default function Codes() {
  const { t, locale } = useI18n();
  const [status, setStatus] = useState<Status>('all');
  const [page, setPage] = useState({ current: 1, size: 20 });
  const list = useAsync(() => admin.codes({ limit: page.size, offset: (page.current - 1) * page.size, status: status === 'all' ? undefined : status }), [status, page]);
  const [creating, setCreating] = useState(false);
  const [batch, setBatch] = useState<RedemptionCode[] | null>(null);

  const exportCodes = (items: RedemptionCode[], name: string) =>
    downloadCsv(name, ['hint', 'name', 'value_p', 'expires_at', 'redeemed_by', 'redeemed_at'], items.map((c) => [c.hint, c.name, c.value, c.expires_at ? new Date(c.expires_at).toISOString() : '', c.redeemed_by_email ?? '', c.redeemed_at ? new Date(c.redeemed_at).toISOString() : '']));
  // A new batch is the only time the codes exist outside the users' hands: its export carries them.
  const exportBatch = (items: RedemptionCode[], name: string) =>
    downloadCsv(name, ['code', 'name', 'value_p', 'expires_at'], items.map((c) => [c.code ?? '', c.name, c.value, c.expires_at ? new Date(c.expires_at).toISOString() : '']));

  return (
    <>
      <PageHeader
        title={t('nav.codes')}
        subtitle={t('codes.subtitle')}
        extra={
          <>
            <Button icon={<DownloadOutlined />} disabled={!list.data?.items.length} onClick={() => exportCodes(list.data!.items, `apigpt-codes-page-${page.current}.csv`)}>
              {t('codes.exportPage')}
            </Button>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>
              {t('codes.generate')}
            </Button>
          </>
        }
      />
      <Segmented<Status>
        style={{ marginBottom: 16 }}
        value={status}
        onChange={(s) => {
          setStatus(s);
          setPage((p) => ({ ...p, current: 1 }));
        }}
        options={(['all', 'unused', 'used', 'expired'] as const).map((s) => ({ value: s, label: t(`codes.status.${s}`) }))}
      />
      <Typography.Paragraph type="secondary">{t('codes.hintHelp')}</Typography.Paragraph>
      <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<RedemptionCode>
          rowKey="id"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 860 }}
          locale={{ emptyText: <EmptyHint text={t('codes.empty')} action={<Button onClick={() => setCreating(true)}>{t('codes.generate')}</Button>} /> }}
          pagination={{ current: page.current, pageSize: page.size, total: list.data?.total ?? 0, onChange: (current, size) => setPage({ current, size }) }}
          columns={[
            { title: t('codes.hint'), dataIndex: 'hint', render: (h: string) => <Typography.Text code>{`${h}-…`}</Typography.Text> },
            { title: t('codes.name'), dataIndex: 'name', render: (n: string | null) => n ?? '—' },
            { title: t('codes.value'), dataIndex: 'value', align: 'right', render: (v: number) => money(v, 2) },
            {
              title: t('common.status'),
              key: 's',
              render: (_, c) =>
                c.redeemed_at ? <Tag color="green">{t('codes.status.used')}</Tag> : c.expires_at && c.expires_at < Date.now() ? <Tag>{t('codes.status.expired')}</Tag> : <Tag color="blue">{t('codes.status.unused')}</Tag>,
            },
            { title: t('codes.redeemedBy'), key: 'by', render: (_, c) => (c.redeemed_by_email ? `${c.redeemed_by_email} · ${dateTime(c.redeemed_at, locale)}` : '—') },
            { title: t('codes.expires'), dataIndex: 'expires_at', render: (v: number | null) => (v ? dateTime(v, locale) : t('codes.never')) },
          ]}
        />
      </Card>
      <GenerateModal
        open={creating}
        onClose={() => setCreating(false)}
        onDone={(items) => {
          setCreating(false);
          setBatch(items);
          list.reload();
        }}
      />
      <Modal open={!!batch} title={t('codes.batchTitle', { n: batch?.length ?? 0 })} onCancel={() => setBatch(null)} footer={null} width={560}>
        {batch && (
          <Space orientation="vertical" style={{ width: '100%' }}>
            <Typography.Text type="warning">{t('codes.hintHelp')}</Typography.Text>
            <Input.TextArea readOnly rows={Math.min(10, batch.length + 1)} value={batch.map((c) => c.code).join('\n')} data-testid="code-batch" style={{ fontFamily: 'monospace' }} />
            <Space wrap>
              <CopyButton text={batch.map((c) => c.code).join('\n')} />
              <Button icon={<DownloadOutlined />} onClick={() => exportBatch(batch, `apigpt-codes-${Date.now()}.csv`)}>
                {t('codes.exportCsv')}
              </Button>
            </Space>
          </Space>
        )}
      </Modal>
    </>
  );
}

function GenerateModal({ open, onClose, onDone }: { open: boolean; onClose(): void; onDone(items: RedemptionCode[]): void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ count: number; value: number; name?: string; expiresAt?: { valueOf(): number } | null }>();
  const action = useAction();
  return (
    <FormModal
      open={open}
      title={t('codes.generate')}
      onCancel={onClose}
      okText={t('codes.generate')}
      afterOpenChange={(o) => o && action.setError(undefined)}
      form={form}
      action={action}
      onSubmit={async (v) => {
        const r = await admin.createCodes({ count: v.count, value: v.value, ...(v.name?.trim() ? { name: v.name.trim() } : {}), ...(v.expiresAt ? { expiresAt: v.expiresAt.valueOf() } : {}) });
        message.success(t('codes.generated', { n: r.items.length }));
        form.resetFields();
        onDone(r.items);
      }}
    >
      <Form form={form} layout="vertical" requiredMark={false} initialValues={{ count: 10, value: 100 }}>
        <Row gutter={8}>
          <Col span={12}>
            <Form.Item name="count" label={t('codes.count')} rules={[{ required: true }]}>
              <InputNumber min={1} max={1000} precision={0} style={{ width: '100%' }} data-testid="codes-count" />
            </Form.Item>
          </Col>
          <Col span={12}>
            <Form.Item name="value" label={t('codes.value')} rules={[{ required: true }]}>
              <InputNumber min={0.01} style={{ width: '100%' }} suffix="P" data-testid="codes-value" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="name" label={t('codes.name')} extra={t('codes.nameHelp')} rules={[{ max: 100 }]}>
          <Input />
        </Form.Item>
        <Form.Item name="expiresAt" label={t('codes.expires')}>
          <DatePicker showTime style={{ width: '100%' }} />
        </Form.Item>
      </Form>
    </FormModal>
  );
}
