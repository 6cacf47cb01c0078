import { useState } from 'react';
import { App as AntApp, Button, Card, Col, Form, Input, InputNumber, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { GiftOutlined } from '@ant-design/icons';
import { billing } from '../api/endpoints';
import type { LedgerEntry, LedgerKind } from '../api/types';
import { EmptyHint } from '../components/EmptyHint';
import { ErrorAlert, errorText } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { dateTime, money } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { useAction } from '../lib/useAction';
import { ledgerReason } from '../lib/ledgerReason';

const KIND_COLORS: Record<LedgerKind, string> = { trial: 'purple', topup: 'blue', redeem: 'green', charge: 'default', refund: 'cyan', adjust: 'orange', referral: 'magenta' };

/** Redeem a code and read the account's ledger: every change of balance, newest first. */
export default function Topup() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const account = useAsync(() => billing.account(), []);
  const [page, setPage] = useState({ current: 1, size: 20 });
  const ledger = useAsync(() => billing.ledger(page.size, (page.current - 1) * page.size), [page]);
  const [form] = Form.useForm<{ code: string }>();
  const { busy, error, run } = useAction();
  const [thresholdBusy, setThresholdBusy] = useState(false);
  // undefined = untouched, so the field shows the server's value until the user edits it.
  const [threshold, setThreshold] = useState<number | null | undefined>(undefined);

  async function redeem({ code }: { code: string }) {
    await run(async () => {
      const r = await billing.redeem(code.trim());
      message.success(t('topup.redeemed', { amount: money(r.amount, 2), balance: money(r.balance, 2) }));
      form.resetFields();
      account.reload();
      setPage((p) => ({ ...p, current: 1 }));
    });
  }

  async function saveThreshold(v: number | null) {
    setThresholdBusy(true);
    try {
      await billing.setLowBalance(v);
      message.success(t('common.saved'));
      account.reload();
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setThresholdBusy(false);
    }
  }

  return (
    <>
      <PageHeader title={t('topup.title')} subtitle={t('topup.subtitle')} />
      <Row gutter={[16, 16]}>
        <Col xs={24} md={8}>
          <Card>
            {account.error ? <ErrorAlert error={account.error} /> : <Statistic title={t('dashboard.balance')} value={account.data ? money(account.data.balance, 2) : '—'} loading={account.loading} />}
            {account.data && (
              <Space orientation="vertical" style={{ marginTop: 12, width: '100%' }}>
                <Typography.Text type="secondary">{t('dashboard.groupInfo', { group: account.data.group, m: account.data.multiplier })}</Typography.Text>
                <Typography.Text>{t('topup.lowBalance')}</Typography.Text>
                <Space.Compact style={{ width: '100%' }}>
                  <InputNumber
                    min={0}
                    style={{ width: '100%' }}
                    value={threshold === undefined ? account.data.lowBalanceThreshold : threshold}
                    onChange={(v) => setThreshold(v ?? null)}
                    placeholder={t('topup.lowBalanceOff')}
                    aria-label={t('topup.lowBalance')}
                    suffix="P"
                  />
                  <Button loading={thresholdBusy} onClick={() => saveThreshold(threshold === undefined ? account.data!.lowBalanceThreshold : threshold)}>
                    {t('common.save')}
                  </Button>
                </Space.Compact>
              </Space>
            )}
          </Card>
        </Col>
        <Col xs={24} md={16}>
          <Card title={t('topup.redeemTitle')}>
            <ErrorAlert error={error} style={{ marginBottom: 12 }} />
            <Form form={form} layout="inline" onFinish={redeem} style={{ rowGap: 8 }}>
              <Form.Item name="code" rules={[{ required: true, whitespace: true, message: t('topup.codeRequired') }]} style={{ flex: '1 1 240px' }}>
                <Input prefix={<GiftOutlined />} aria-label={t('topup.redeemTitle')} placeholder={t('topup.codePlaceholder')} autoComplete="off" data-testid="redeem-code" />
              </Form.Item>
              <Form.Item>
                <Button type="primary" htmlType="submit" loading={busy}>
                  {t('topup.redeem')}
                </Button>
              </Form.Item>
            </Form>
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
              {t('topup.redeemHelp')}
            </Typography.Paragraph>
          </Card>
        </Col>
        <Col xs={24}>
          <Card title={t('topup.ledger')} styles={{ body: { padding: 0 } }}>
            {ledger.error ? (
              <div style={{ padding: 16 }}>
                <ErrorAlert error={ledger.error} />
              </div>
            ) : (
              <Table<LedgerEntry>
                size="small"
                rowKey="id"
                loading={ledger.loading}
                dataSource={ledger.data?.items ?? []}
                scroll={{ x: 640 }}
                locale={{ emptyText: <EmptyHint text={t('topup.ledgerEmpty')} /> }}
                pagination={{ current: page.current, pageSize: page.size, total: ledger.data?.total ?? 0, onChange: (current, size) => setPage({ current, size }) }}
                columns={[
                  { title: t('logs.time'), dataIndex: 'created_at', render: (v: number) => dateTime(v, locale) },
                  { title: t('topup.kind'), dataIndex: 'kind', render: (k: LedgerKind) => <Tag color={KIND_COLORS[k]}>{t(`ledger.${k}`)}</Tag> },
                  {
                    title: t('topup.amount'),
                    dataIndex: 'amount',
                    align: 'right',
                    render: (v: number) => <Typography.Text type={v < 0 ? 'danger' : 'success'}>{`${v > 0 ? '+' : ''}${money(v)}`}</Typography.Text>,
                  },
                  { title: t('topup.balanceAfter'), dataIndex: 'balance_after', align: 'right', render: (v: number) => money(v) },
                  { title: t('topup.reason'), key: 'reason', ellipsis: true, render: (_, e) => (e.reason ? ledgerReason(t, e.reason) : null) ?? (e.request_id ? <Typography.Text code>{e.request_id}</Typography.Text> : '—') },
                ]}
              />
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
