import { useState } from 'react';
import { App as AntApp, Button, Card, Checkbox, Form, Input, InputNumber, Popconfirm, Segmented, Space, Switch, Table, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { ApiError } from '../../api/client';
import { adminRecharge, recharge, type OrderStatus, type TopupOrder, type TopupPack } from '../../api/recharge';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { FormModal } from '../../components/FormModal';
import { useI18n, type MessageKey, type Translate } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime, money } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useAction } from '../../lib/useAction';
import { orderNoteLine, orderNoteText } from '../../lib/orderNote';
import { paymentLabel as label, paymentVia, STATUS_COLORS } from '../../lib/recharge';

type Filter = 'all' | OrderStatus;
const FILTERS: Filter[] = ['all', 'created', 'paid', 'credited', 'expired', 'refunded'];

/** An admin refusal the console words in the reader's language, or the server's own words. */
function topupError(t: Translate, error: unknown): Error | unknown {
  if (!(error instanceof ApiError) || !error.code) return error;
  const key = `topups.error.${error.code}` as MessageKey;
  const text = t(key);
  return text === key ? error : new Error(text);
}

/** Every user's recharge orders (refund, or credit by hand), and the packs offered. */
export default function TopupOrders() {
  const { t, locale } = useI18n();
  const [filter, setFilter] = useState<Filter>('all');
  const [page, setPage] = useState({ current: 1, size: 20 });
  const list = useAsync(() => adminRecharge.orders({ limit: page.size, offset: (page.current - 1) * page.size, status: filter === 'all' ? undefined : filter }), [filter, page]);
  const [refunding, setRefunding] = useState<TopupOrder | null>(null);
  const [completing, setCompleting] = useState<TopupOrder | null>(null);

  return (
    <>
      <PageHeader title={t('nav.topups')} subtitle={t('topups.subtitle')} />
      <Segmented<Filter>
        style={{ marginBottom: 16 }}
        value={filter}
        onChange={(f) => {
          setFilter(f);
          setPage((p) => ({ ...p, current: 1 }));
        }}
        options={FILTERS.map((f) => ({ value: f, label: f === 'all' ? t('topups.all') : t(`recharge.status.${f}`) }))}
      />
      <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<TopupOrder>
          rowKey="id"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 1000 }}
          data-testid="topup-orders"
          locale={{ emptyText: <EmptyHint text={t('recharge.ordersEmpty')} /> }}
          pagination={{ current: page.current, pageSize: page.size, total: list.data?.total ?? 0, onChange: (current, size) => setPage({ current, size }) }}
          columns={[
            { title: t('recharge.time'), dataIndex: 'createdAt', render: (v: number) => dateTime(v, locale) },
            { title: t('topups.user'), dataIndex: 'email', render: (e: string | null, o) => e ?? o.userId },
            { title: t('topups.provider'), key: 'via', render: (_, o) => paymentVia(t, o.provider, o.method) },
            { title: t('recharge.paid'), key: 'amount', align: 'right', render: (_, o) => `${o.amount} ${o.currency.toUpperCase()}` },
            { title: t('recharge.credit'), key: 'credit', align: 'right', render: (_, o) => (o.refunded > 0 ? `${money(o.credit, 2)} (−${money(o.refunded, 2)})` : money(o.credit, 2)) },
            {
              title: t('recharge.status'),
              dataIndex: 'status',
              render: (s: OrderStatus, o) => (
                <>
                  <Tag color={STATUS_COLORS[s]}>{t(`recharge.status.${s}`)}</Tag>
                  {/* A refund whose money the provider has not confirmed yet: the gateway keeps asking. */}
                  {o.moneyOwed ? (
                    <Tag color="gold" title={t('topups.moneyOwedHelp')} data-testid="money-owed">
                      {t('topups.moneyOwed', { amount: `${o.moneyOwed} ${o.currency.toUpperCase()}` })}
                    </Tag>
                  ) : null}
                </>
              ),
            },
            {
              title: t('topups.note'),
              key: 'note',
              width: 280,
              // Two lines, the rest one click away: a note grows by a line per event.
              render: (_, o) => {
                const n = orderNoteText(t, locale, o);
                return n ? (
                  <Typography.Paragraph style={{ marginBottom: 0, fontSize: 13 }} ellipsis={{ rows: 2, expandable: true, tooltip: n }} data-testid={`note-${o.id}`}>
                    {n}
                  </Typography.Paragraph>
                ) : (
                  '—'
                );
              },
            },
            {
              title: '',
              key: 'actions',
              render: (_, o) => (
                <Space size={4}>
                  {(o.status === 'credited' || o.status === 'paid') && (
                    <Button size="small" danger onClick={() => setRefunding(o)} data-testid={`refund-${o.id}`}>
                      {t('topups.refund')}
                    </Button>
                  )}
                  {(o.status === 'created' || o.status === 'expired') && <AskProvider order={o} onDone={list.reload} />}
                  {(o.status === 'created' || o.status === 'expired' || o.status === 'paid') && (
                    <Button size="small" onClick={() => setCompleting(o)}>
                      {t('topups.complete')}
                    </Button>
                  )}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <RefundModal order={refunding} onClose={() => setRefunding(null)} onDone={list.reload} />
      <CompleteModal order={completing} onClose={() => setCompleting(null)} onDone={list.reload} />
      <Packs />
    </>
  );
}

function RefundModal({ order, onClose, onDone }: { order: TopupOrder | null; onClose(): void; onDone(): void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ points?: number | null; reason: string; returnMoney?: boolean }>();
  const action = useAction();
  // Providers whose refunds API returns the money (the server's PaymentProvider.refund); elsewhere,
  // and for an order held for review (its payment differs from the order), the admin returns the
  // money in the provider's dashboard.
  // An order held for review returns what was paid (`paid`), when that was money in its currency.
  const held = order?.status === 'paid';
  const canReturn = (order?.provider === 'stripe' || order?.provider === 'wechatpay' || order?.provider === 'alipay') && (order.status === 'credited' || (held && order.paid !== null));
  // The provider's own name (Stripe is Stripe in both languages).
  const via = order?.provider === 'wechatpay' || order?.provider === 'alipay' ? t(`recharge.provider.${order.provider}`) : 'Stripe';
  return (
    <FormModal
      open={!!order}
      title={t('topups.refundTitle', { id: order?.id ?? '' })}
      okText={t('topups.refund')}
      okButtonProps={{ danger: true }}
      onCancel={onClose}
      afterOpenChange={(o) => o && (action.setError(undefined), form.resetFields())}
      form={form}
      action={{ ...action, error: topupError(t, action.error) }}
      onSubmit={async (v) => {
        const done = await adminRecharge.refund(order!.id, { reason: v.reason.trim(), ...(v.points ? { points: v.points } : {}), ...(canReturn ? { returnMoney: v.returnMoney !== false } : {}) });
        message.success(t('topups.refunded'));
        // What the provider did with the money (or why it could not): the note's last line.
        const last = done.notes[done.notes.length - 1];
        if (canReturn && v.returnMoney !== false && last) message.info(orderNoteLine(t, last));
        onClose();
        onDone();
      }}
    >
      <Typography.Paragraph type="secondary" data-testid="refund-help">
        {t(held ? (canReturn ? 'topups.refundHelpHeld' : 'topups.refundHelpHeldManual') : canReturn ? 'topups.refundHelpStripe' : 'topups.refundHelp', {
          credit: money(order?.credit ?? 0, 2),
          provider: via,
          paid: `${order?.paid ?? ''} ${order?.currency.toUpperCase() ?? ''}`,
        })}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" requiredMark={false}>
        {order?.status === 'credited' && (
          <Form.Item name="points" label={t('topups.refundPoints')} extra={t('topups.refundPointsHelp')}>
            <InputNumber min={0.000001} max={order.credit} style={{ width: '100%' }} suffix="P" />
          </Form.Item>
        )}
        <Form.Item name="reason" label={t('topups.reason')} rules={[{ required: true, whitespace: true }, { max: 500 }]}>
          <Input data-testid="refund-reason" />
        </Form.Item>
        {canReturn && (
          <Form.Item name="returnMoney" valuePropName="checked" initialValue={true} extra={t('topups.returnMoneyHelp', { provider: via })}>
            <Checkbox data-testid="refund-return-money">{t('topups.returnMoney', { provider: via })}</Checkbox>
          </Form.Item>
        )}
      </Form>
    </FormModal>
  );
}

function CompleteModal({ order, onClose, onDone }: { order: TopupOrder | null; onClose(): void; onDone(): void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ reason: string }>();
  const action = useAction();
  return (
    <FormModal
      open={!!order}
      title={t('topups.completeTitle', { id: order?.id ?? '' })}
      okText={t('topups.complete')}
      onCancel={onClose}
      afterOpenChange={(o) => o && (action.setError(undefined), form.resetFields())}
      form={form}
      action={{ ...action, error: topupError(t, action.error) }}
      onSubmit={async (v) => {
        await adminRecharge.complete(order!.id, v.reason.trim());
        message.success(t('topups.completed'));
        onClose();
        onDone();
      }}
    >
      <Typography.Paragraph type="secondary">{t('topups.completeHelp', { credit: money(order?.credit ?? 0, 2) })}</Typography.Paragraph>
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item name="reason" label={t('topups.reason')} rules={[{ required: true, whitespace: true }, { max: 500 }]}>
          <Input />
        </Form.Item>
      </Form>
    </FormModal>
  );
}

type PackForm = { name: string; points: number; bonus?: number | null; enabled: boolean; sort?: number | null };

/** The packs offered on the Buy credit page. */
function Packs() {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const packs = useAsync(() => adminRecharge.packs(), []);
  // Each provider's currency, to read the prices by.
  const options = useAsync(() => recharge.options(), []);
  const currencyOf = (id: string) => options.data?.providers.find((p) => p.id === id)?.currency.toUpperCase() ?? '';
  const [editing, setEditing] = useState<TopupPack | 'new' | null>(null);
  const [form] = Form.useForm<PackForm>();
  const action = useAction();

  async function remove(p: TopupPack) {
    try {
      await adminRecharge.removePack(p.id);
      packs.reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  return (
    <Card
      title={t('topups.packs')}
      style={{ marginTop: 16 }}
      styles={{ body: { padding: 0 } }}
      extra={
        <Button icon={<PlusOutlined />} onClick={() => setEditing('new')}>
          {t('topups.addPack')}
        </Button>
      }
    >
      <Typography.Paragraph type="secondary" style={{ padding: '12px 16px 0' }}>
        {t('topups.packsHelp')}
      </Typography.Paragraph>
      <ErrorAlert error={packs.error} style={{ margin: 16 }} />
      <Table<TopupPack>
        rowKey="id"
        size="small"
        loading={packs.loading}
        dataSource={packs.data?.items ?? []}
        pagination={false}
        scroll={{ x: 720 }}
        locale={{ emptyText: <EmptyHint text={t('topups.packsEmpty')} /> }}
        columns={[
          { title: t('topups.packName'), dataIndex: 'name' },
          { title: t('topups.packPoints'), dataIndex: 'points', align: 'right', render: (v: number) => money(v, 2) },
          { title: t('topups.packBonus'), dataIndex: 'bonus', align: 'right', render: (v: number) => (v ? money(v, 2) : '—') },
          {
            title: t('topups.packPrices'),
            dataIndex: 'prices',
            render: (prices: Record<string, string>) => Object.entries(prices).map(([id, price]) => <Tag key={id}>{`${label(t, 'provider', id)}: ${price} ${currencyOf(id)}`}</Tag>),
          },
          { title: t('topups.packEnabled'), dataIndex: 'enabled', render: (v: boolean) => (v ? <Tag color="green">✓</Tag> : <Tag>—</Tag>) },
          { title: t('topups.packSort'), dataIndex: 'sort', align: 'right' },
          {
            title: '',
            key: 'a',
            render: (_, p) => (
              <Space size={4}>
                <Button size="small" icon={<EditOutlined />} aria-label={t('topups.editPack')} onClick={() => setEditing(p)} />
                <Popconfirm title={t('topups.removePack', { name: p.name })} onConfirm={() => remove(p)}>
                  <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      <FormModal
        open={editing !== null}
        title={editing === 'new' ? t('topups.addPack') : t('topups.editPack')}
        onCancel={() => setEditing(null)}
        afterOpenChange={(o) => {
          if (!o) return;
          action.setError(undefined);
          form.setFieldsValue(editing && editing !== 'new' ? { name: editing.name, points: editing.points, bonus: editing.bonus, enabled: editing.enabled, sort: editing.sort } : { name: '', points: 1000, bonus: 0, enabled: true, sort: 0 });
        }}
        form={form}
        action={action}
        onSubmit={async (v) => {
          const body = { name: v.name.trim(), points: v.points, bonus: v.bonus ?? 0, enabled: v.enabled, sort: v.sort ?? 0 };
          if (editing === 'new') await adminRecharge.createPack(body);
          else if (editing) await adminRecharge.updatePack(editing.id, body);
          message.success(t('common.saved'));
          setEditing(null);
          packs.reload();
        }}
      >
        <Form form={form} layout="vertical" requiredMark={false}>
          <Form.Item name="name" label={t('topups.packName')} rules={[{ required: true, whitespace: true }, { max: 100 }]}>
            <Input />
          </Form.Item>
          <Space wrap>
            <Form.Item name="points" label={t('topups.packPoints')} rules={[{ required: true }]}>
              <InputNumber min={0.01} style={{ width: 180 }} suffix="P" />
            </Form.Item>
            <Form.Item name="bonus" label={t('topups.packBonus')}>
              <InputNumber min={0} style={{ width: 180 }} suffix="P" />
            </Form.Item>
            <Form.Item name="sort" label={t('topups.packSort')}>
              <InputNumber precision={0} style={{ width: 120 }} />
            </Form.Item>
          </Space>
          <Form.Item name="enabled" label={t('topups.packEnabled')} valuePropName="checked">
            <Switch />
          </Form.Item>
        </Form>
      </FormModal>
    </Card>
  );
}

/**
 * Asks the order's provider about its payment now (a callback may have been lost): a payment it
 * confirms is credited once, as its callback would have; otherwise the order stays as it is.
 */
function AskProvider({ order, onDone }: { order: TopupOrder; onDone(): void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [busy, setBusy] = useState(false);
  return (
    <Button
      size="small"
      loading={busy}
      data-testid={`check-${order.id}`}
      onClick={async () => {
        setBusy(true);
        try {
          const o = await adminRecharge.check(order.id);
          if (o.status === 'credited') message.success(t('topups.checkCredited'));
          else message.info(t('topups.checkUnpaid'));
          onDone();
        } catch (e) {
          message.error(errorText(t, e));
        } finally {
          setBusy(false);
        }
      }}
    >
      {t('topups.check')}
    </Button>
  );
}
