import { useEffect, useMemo, useState } from 'react';
import { App as AntApp, Button, Card, Col, Form, Input, InputNumber, Popconfirm, Row, Space, Table, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { admin, usage } from '../../api/endpoints';
import type { Group, Price } from '../../api/types';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { FormModal } from '../../components/FormModal';
import { useT } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { useAsync } from '../../lib/useAsync';
import { useAction } from '../../lib/useAction';

/** Unit prices besides tokens and images: speech by characters, transcription by time, rerank by searches. */
const UNIT_FIELDS = ['perKChars', 'perSecond', 'perKSearches'] as const;
const EMPTY_UNITS = { perKChars: null, perSecond: null, perKSearches: null };

/** P per second → P per minute, without binary-fraction noise (0.1 × 60 = 6, not 6.000000000000001). */
const perMinute = (perSecond: number) => Math.round(perSecond * 60 * 1e6) / 1e6;

/** What each model costs (P per 1K tokens, per image, per 1K characters, per second, per 1K searches) and each user group's multiplier. */
export default function Models() {
  const t = useT();
  const { message } = AntApp.useApp();
  const prices = useAsync(() => admin.prices(), []);
  const groups = useAsync(() => admin.groups(), []);
  const models = useAsync(() => usage.models(), []);
  const [editing, setEditing] = useState<Price | null>(null);

  // Routed models without a price row are listed too, so a missing price is visible, not silent.
  const rows = useMemo(() => {
    const priced = new Map((prices.data?.items ?? []).map((p) => [p.model, p]));
    for (const m of models.data?.items ?? []) if (!priced.has(m.id)) priced.set(m.id, { model: m.id, input: null, output: null, cachedInput: null, perImage: null, ...EMPTY_UNITS });
    return [...priced.values()].sort((a, b) => a.model.localeCompare(b.model));
  }, [prices.data, models.data]);

  async function removePrice(model: string) {
    try {
      await admin.deletePrice(model);
      prices.reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  const per = (v: number | null | undefined) => (v === null || v === undefined ? <Typography.Text type="secondary">—</Typography.Text> : v);

  return (
    <>
      <PageHeader
        title={t('nav.models')}
        subtitle={t('models.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing({ model: '', input: null, output: null, cachedInput: null, perImage: null, ...EMPTY_UNITS })}>
            {t('models.addPrice')}
          </Button>
        }
      />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          <Card title={t('models.prices')} styles={{ body: { padding: 0 } }}>
            <ErrorAlert error={prices.error} style={{ margin: 16 }} />
            <Table<Price>
              rowKey="model"
              size="small"
              loading={prices.loading}
              dataSource={rows}
              scroll={{ x: 980 }}
              pagination={{ defaultPageSize: 100, hideOnSinglePage: true }}
              locale={{ emptyText: <EmptyHint text={t('models.empty')} /> }}
              columns={[
                { title: t('common.model'), dataIndex: 'model' },
                { title: t('models.input'), dataIndex: 'input', align: 'right', render: per },
                { title: t('models.output'), dataIndex: 'output', align: 'right', render: per },
                { title: t('models.cached'), dataIndex: 'cachedInput', align: 'right', render: per },
                { title: t('models.perImage'), dataIndex: 'perImage', align: 'right', render: per },
                { title: t('models.perKChars'), dataIndex: 'perKChars', align: 'right', render: per },
                {
                  title: t('models.perSecond'),
                  dataIndex: 'perSecond',
                  align: 'right',
                  render: (v: number | null | undefined) =>
                    v === null || v === undefined ? (
                      per(null)
                    ) : (
                      <>
                        {v}{' '}
                        <Typography.Text type="secondary">{t('models.perMinuteShort', { value: perMinute(v) })}</Typography.Text>
                      </>
                    ),
                },
                { title: t('models.perKSearches'), dataIndex: 'perKSearches', align: 'right', render: per },
                {
                  title: '',
                  key: 'a',
                  render: (_, p) => (
                    <Space size={4}>
                      <Button size="small" icon={<EditOutlined />} onClick={() => setEditing(p)} aria-label={t('common.edit')} />
                      {prices.data?.items.some((x) => x.model === p.model) && (
                        <Popconfirm title={t('models.deleteConfirm')} onConfirm={() => removePrice(p.model)}>
                          <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} />
                        </Popconfirm>
                      )}
                    </Space>
                  ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card title={t('models.groups')}>
            <ErrorAlert error={groups.error} style={{ marginBottom: 12 }} />
            <GroupsEditor items={groups.data?.items ?? []} loading={groups.loading} onSaved={groups.reload} />
          </Card>
        </Col>
      </Row>
      <PriceModal
        price={editing}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          message.success(t('common.saved'));
          prices.reload();
        }}
      />
    </>
  );
}

function PriceModal({ price, onClose, onSaved }: { price: Price | null; onClose(): void; onSaved(): void }) {
  const t = useT();
  const [form] = Form.useForm<Price>();
  const action = useAction();
  const perSecond = Form.useWatch('perSecond', form);
  useEffect(() => {
    if (!price) return;
    action.setError(undefined);
    form.resetFields();
    form.setFieldsValue(price);
  }, [price, form]);
  return (
    <FormModal
      open={!!price}
      title={price?.model ? t('models.editPrice', { model: price.model }) : t('models.addPrice')}
      onCancel={onClose}
      form={form}
      action={action}
      onSubmit={async (v) => {
        await admin.setPrice({
          model: v.model.trim(),
          input: v.input ?? null,
          output: v.output ?? null,
          cachedInput: v.cachedInput ?? null,
          perImage: v.perImage ?? null,
          perKChars: v.perKChars ?? null,
          perSecond: v.perSecond ?? null,
          perKSearches: v.perKSearches ?? null,
          maxOutput: v.maxOutput ?? null,
        });
        onSaved();
      }}
    >
      <Typography.Paragraph type="secondary">{t('models.unitHelp')}</Typography.Paragraph>
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item name="model" label={t('common.model')} rules={[{ required: true, whitespace: true }]}>
          <Input disabled={!!price?.model} />
        </Form.Item>
        <Row gutter={8}>
          {(['input', 'output', 'cachedInput', 'perImage'] as const).map((k) => (
            <Col span={12} key={k}>
              <Form.Item name={k} label={t(`models.${k === 'cachedInput' ? 'cached' : k}`)}>
                <InputNumber min={0} style={{ width: '100%' }} suffix="P" />
              </Form.Item>
            </Col>
          ))}
          {UNIT_FIELDS.map((k) => (
            <Col span={12} key={k}>
              <Form.Item
                name={k}
                label={t(`models.${k}`)}
                extra={k === 'perSecond' && typeof perSecond === 'number' ? t('models.perMinute', { value: perMinute(perSecond) }) : undefined}
              >
                <InputNumber min={0} style={{ width: '100%' }} suffix="P" />
              </Form.Item>
            </Col>
          ))}
          <Col span={12}>
            <Form.Item name="maxOutput" label={t('models.maxOutput')} extra={t('models.maxOutputHelp')}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </FormModal>
  );
}

/** Multipliers inline: edit the number, press save on that row. A new group is any name not listed yet. */
function GroupsEditor({ items, loading, onSaved }: { items: Group[]; loading: boolean; onSaved(): void }) {
  const t = useT();
  const { message } = AntApp.useApp();
  const [draft, setDraft] = useState<Record<string, number | null>>({});
  const [newName, setNewName] = useState('');

  async function save(name: string, multiplier: number | null | undefined) {
    if (!name.trim() || multiplier === null || multiplier === undefined) return;
    try {
      await admin.setGroup(name.trim(), multiplier);
      message.success(t('common.saved'));
      setDraft((d) => ({ ...d, [name]: null }));
      setNewName('');
      onSaved();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  return (
    <>
      <Table<Group>
        rowKey="name"
        size="small"
        loading={loading}
        pagination={false}
        dataSource={items}
        locale={{ emptyText: <EmptyHint text={t('models.noGroups')} /> }}
        columns={[
          { title: t('models.group'), dataIndex: 'name' },
          {
            title: t('models.multiplier'),
            key: 'm',
            render: (_, g) => (
              <Space.Compact>
                <InputNumber min={0} step={0.1} style={{ width: 90 }} aria-label={`${t('models.multiplier')}: ${g.name}`} value={draft[g.name] ?? g.multiplier} onChange={(v) => setDraft((d) => ({ ...d, [g.name]: v }))} />
                <Button onClick={() => save(g.name, draft[g.name] ?? g.multiplier)}>{t('common.save')}</Button>
              </Space.Compact>
            ),
          },
        ]}
      />
      <Space.Compact style={{ marginTop: 12, width: '100%' }}>
        <Input placeholder={t('models.newGroup')} aria-label={t('models.newGroup')} value={newName} onChange={(e) => setNewName(e.target.value)} />
        <InputNumber min={0} step={0.1} style={{ width: 90 }} aria-label={t('models.multiplier')} value={draft.__new ?? 1} onChange={(v) => setDraft((d) => ({ ...d, __new: v }))} />
        <Button icon={<PlusOutlined />} disabled={!newName.trim()} onClick={() => save(newName, draft.__new ?? 1)} />
      </Space.Compact>
    </>
  );
}
