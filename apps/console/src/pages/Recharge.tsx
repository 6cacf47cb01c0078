import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Col, Flex, Form, InputNumber, Modal, QRCode, Radio, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { GiftOutlined } from '@ant-design/icons';
import { ApiError } from '../api/client';
import { recharge, type PaymentProviderInfo, type RechargeOptions, type TopupOrder, type TopupPack } from '../api/recharge';
import { EmptyHint } from '../components/EmptyHint';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n, type MessageKey, type Translate } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { dateTime, money } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { useAction } from '../lib/useAction';
import { paymentLabel as label, STATUS_COLORS } from '../lib/recharge';

/** Decimal places of a currency (what the amount field allows). */
const digitsOf = (currency: string) => (['jpy', 'krw', 'vnd', 'clp'].includes(currency) ? 0 : 2);

/** The server's refusal in the reader's language when the console knows it, else its own words. */
function orderError(t: Translate, error: unknown, p: PaymentProviderInfo | undefined): string | null {
  if (!(error instanceof ApiError) || !error.code) return null;
  const key = `recharge.error.${error.code}` as MessageKey;
  const text = t(key, { min: p?.minAmount ?? '', max: p?.maxAmount ?? '', currency: p?.currency.toUpperCase() ?? '' });
  return text === key ? null : text;
}

/**
 * Buy credit online: pick a provider (and its method), a pack or an amount, and pay on the provider's
 * page; coming back, the order's state is followed until the credit lands. Below, the user's orders.
 */
export default function Recharge() {
  const { t, locale } = useI18n();
  const [params] = useSearchParams();
  const returned = params.get('order');
  const options = useAsync(() => recharge.options(), []);
  const [page, setPage] = useState({ current: 1, size: 10 });
  const orders = useAsync(() => recharge.orders(page.size, (page.current - 1) * page.size), [page]);

  return (
    <>
      <PageHeader
        title={t('recharge.title')}
        subtitle={t('recharge.subtitle')}
        extra={
          <Link to="/topup">
            <Button icon={<GiftOutlined />}>{t('recharge.toRedeem')}</Button>
          </Link>
        }
      />
      {returned && <ReturnedOrder id={returned} onSettled={orders.reload} />}
      <ErrorAlert error={options.error} style={{ marginBottom: 16 }} />
      {options.data && options.data.providers.length === 0 && (
        <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('recharge.notConfigured')} action={<Link to="/topup">{t('recharge.toRedeem')}</Link>} />
      )}
      {options.data && options.data.providers.length > 0 && <BuyCard options={options.data} />}
      <Card title={t('recharge.orders')} style={{ marginTop: 16 }} styles={{ body: { padding: 0 } }}>
        {orders.error ? (
          <div style={{ padding: 16 }}>
            <ErrorAlert error={orders.error} />
          </div>
        ) : (
          <Table<TopupOrder>
            size="small"
            rowKey="id"
            loading={orders.loading}
            dataSource={orders.data?.items ?? []}
            data-testid="recharge-orders"
            locale={{ emptyText: <EmptyHint text={t('recharge.ordersEmpty')} /> }}
            pagination={{ current: page.current, pageSize: page.size, total: orders.data?.total ?? 0, onChange: (current, size) => setPage({ current, size }) }}
            columns={[
              { title: t('recharge.time'), dataIndex: 'createdAt', render: (v: number) => dateTime(v, locale) },
              { title: t('recharge.paid'), key: 'amount', align: 'right', render: (_, o) => `${o.amount} ${o.currency.toUpperCase()}` },
              { title: t('recharge.credit'), key: 'credit', align: 'right', render: (_, o) => money(o.credit, 2) },
              // Phones keep the four columns that matter, without sideways scrolling.
              { title: t('recharge.payWith'), key: 'via', responsive: ['md'], render: (_, o) => label(t, 'method', o.method) },
              {
                title: t('recharge.status'),
                key: 'status',
                render: (_, o) => (
                  <Space size={4} wrap>
                    <Tag color={STATUS_COLORS[o.status]} data-testid={`order-status-${o.id}`}>
                      {t(`recharge.status.${o.status}`)}
                    </Tag>
                    {o.status === 'created' && o.payUrl && (
                      <Typography.Link href={o.payUrl}>{t('recharge.continue')}</Typography.Link>
                    )}
                  </Space>
                ),
              },
            ]}
          />
        )}
      </Card>
    </>
  );
}

/** The purchase form. */
function BuyCard({ options }: { options: RechargeOptions }) {
  const { t } = useI18n();
  const [providerId, setProviderId] = useState(options.providers[0].id);
  const provider = options.providers.find((p) => p.id === providerId) ?? options.providers[0];
  const [method, setMethod] = useState(provider.methods[0]);
  // A pack id, or '' for an amount of the user's choosing.
  const [choice, setChoice] = useState<string>(options.packs[0]?.id ?? '');
  const [amount, setAmount] = useState<number | null>(Math.max(provider.minAmount, 10));
  const action = useAction();
  const navigate = useNavigate();
  const [scan, setScan] = useState<TopupOrder | null>(null);
  const cur = provider.currency.toUpperCase();
  const pack: TopupPack | undefined = options.packs.find((p) => p.id === choice);

  useEffect(() => setMethod(provider.methods[0]), [provider]);

  // What the user pays and gets, shown before paying (the server computes the same from its rate).
  const { pay, credit } = useMemo(() => {
    if (pack) return { pay: pack.prices[provider.id], credit: pack.points + pack.bonus };
    if (amount === null) return { pay: null, credit: null };
    return { pay: amount.toFixed(digitsOf(provider.currency)), credit: Math.round(amount * provider.pointsPerUnit * 1e6) / 1e6 };
  }, [pack, amount, provider]);

  async function submit() {
    await action.run(async () => {
      const order = await recharge.create(pack ? { provider: provider.id, method, packId: pack.id } : { provider: provider.id, method, amount: pay ?? '' });
      // WeChat Pay's Native pay answers a `weixin://` code for the payer's phone: shown as a QR code here.
      if (order.payUrl?.startsWith('weixin://')) setScan(order);
      else if (order.payUrl) window.location.assign(order.payUrl);
    });
  }

  const translated = orderError(t, action.error, provider);
  return (
    <Card>
      <Modal
        open={scan !== null}
        title={scan ? t('recharge.scanTitle', { amount: scan.amount, currency: scan.currency.toUpperCase() }) : ''}
        onCancel={() => setScan(null)}
        footer={
          <Button type="primary" onClick={() => scan && navigate(`/recharge?order=${encodeURIComponent(scan.id)}`)} data-testid="scan-done">
            {t('recharge.scanDone')}
          </Button>
        }
      >
        {scan?.payUrl && (
          <Flex vertical align="center" gap={12}>
            <QRCode value={scan.payUrl} size={220} data-testid="scan-qr" />
            <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
              {t('recharge.scanHelp')}
            </Typography.Paragraph>
          </Flex>
        )}
      </Modal>
      {translated ? <Alert type="error" showIcon title={translated} style={{ marginBottom: 12 }} data-testid="error-alert" /> : <ErrorAlert error={action.error} style={{ marginBottom: 12 }} />}
      <Form layout="vertical" requiredMark={false} onFinish={submit}>
        <Row gutter={[24, 0]}>
          <Col xs={24} md={12}>
            <Form.Item label={t('recharge.payWith')}>
              <Radio.Group value={providerId} onChange={(e) => setProviderId(e.target.value as string)} optionType="button" buttonStyle="solid" data-testid="recharge-provider">
                {options.providers.map((p) => (
                  <Radio.Button key={p.id} value={p.id}>
                    {label(t, 'provider', p.id)}
                  </Radio.Button>
                ))}
              </Radio.Group>
            </Form.Item>
            {provider.methods.length > 1 && (
              <Form.Item label={t('recharge.method')}>
                <Radio.Group value={method} onChange={(e) => setMethod(e.target.value as string)} data-testid="recharge-method">
                  {provider.methods.map((m) => (
                    <Radio key={m} value={m}>
                      {label(t, 'method', m)}
                    </Radio>
                  ))}
                </Radio.Group>
              </Form.Item>
            )}
            <Form.Item label={t('recharge.choose')}>
              <Radio.Group value={choice} onChange={(e) => setChoice(e.target.value as string)} style={{ width: '100%' }}>
                <Flex vertical gap={8}>
                  {options.packs.map((p) => (
                    <Radio key={p.id} value={p.id} data-testid={`pack-${p.id}`}>
                      <Space wrap size={6}>
                        <Typography.Text strong>{p.name}</Typography.Text>
                        <span>{money(p.points, 2)}</span>
                        {p.bonus > 0 && <Tag color="gold">{t('recharge.bonus', { bonus: money(p.bonus, 2) })}</Tag>}
                        <Typography.Text type="secondary">{t('recharge.packPrice', { price: p.prices[provider.id], currency: cur })}</Typography.Text>
                      </Space>
                    </Radio>
                  ))}
                  <Radio value="">{t('recharge.customAmount')}</Radio>
                </Flex>
              </Radio.Group>
            </Form.Item>
            {!pack && (
              <Form.Item label={t('recharge.amount', { currency: cur })} extra={t('recharge.amountRange', { min: provider.minAmount, max: provider.maxAmount, currency: cur, rate: provider.pointsPerUnit })}>
                <InputNumber
                  min={provider.minAmount}
                  max={provider.maxAmount}
                  precision={digitsOf(provider.currency)}
                  value={amount}
                  onChange={(v) => setAmount(v)}
                  suffix={cur}
                  style={{ width: '100%', maxWidth: 260 }}
                  aria-label={t('recharge.amount', { currency: cur })}
                  data-testid="recharge-amount"
                />
              </Form.Item>
            )}
          </Col>
          <Col xs={24} md={12}>
            <Statistic title={t('recharge.credit')} value={credit === null ? '—' : t('recharge.youGet', { points: money(credit, 2) })} data-testid="recharge-credit" />
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t('recharge.expiryHelp', { minutes: options.expiryMinutes })}
            </Typography.Paragraph>
            <Button type="primary" size="large" htmlType="submit" loading={action.busy} disabled={pay === null} data-testid="recharge-pay">
              {t('recharge.pay', { amount: pay ?? '—', currency: cur })}
            </Button>
          </Col>
        </Row>
      </Form>
    </Card>
  );
}

/**
 * Back from the payment page (`?order=`): the provider's redirect proves nothing, so the order is
 * read from the server until its callback has settled it.
 */
function ReturnedOrder({ id, onSettled }: { id: string; onSettled(): void }) {
  const { t } = useI18n();
  const [order, setOrder] = useState<TopupOrder | null>(null);
  const [error, setError] = useState<unknown>();
  const checking = useAction();

  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const poll = async () => {
      try {
        const o = await recharge.order(id);
        if (stop) return;
        setOrder(o);
        setError(undefined);
        if (o.status !== 'created') return onSettled();
      } catch (e) {
        if (stop) return;
        setError(e);
      }
      // Callbacks usually land within seconds; after ten minutes the order list says the rest.
      if (Date.now() - started < 10 * 60_000) timer = setTimeout(poll, 1500);
    };
    void poll();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id]);

  if (error) return <ErrorAlert error={error} style={{ marginBottom: 16 }} />;
  if (!order) return null;
  const common = { showIcon: true, style: { marginBottom: 16 }, 'data-testid': 'recharge-result' };
  switch (order.status) {
    case 'credited':
      return <Alert type="success" {...common} title={t('recharge.credited', { points: money(order.credit, 2) })} />;
    case 'paid':
      return <Alert type="warning" {...common} title={t('recharge.reviewing')} />;
    case 'expired':
      return <Alert type="info" {...common} title={t('recharge.expiredNote')} />;
    case 'refunded':
      return <Alert type="info" {...common} title={t('recharge.status.refunded')} />;
    default:
      // The payer paid but no callback came yet: they may have the provider asked now.
      return (
        <Alert
          type="info"
          {...common}
          title={t('recharge.waiting')}
          action={
            <Button size="small" loading={checking.busy} data-testid="recharge-check" onClick={() =>
                checking.run(async () => {
                  const o = await recharge.check(id);
                  setOrder(o);
                  if (o.status !== 'created') onSettled();
                })
              }>
              {t('recharge.checkNow')}
            </Button>
          }
          description={checking.error ? <ErrorAlert error={checking.error} /> : undefined}
        />
      );
  }
}
