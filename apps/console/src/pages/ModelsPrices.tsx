import { useMemo, useState } from 'react';
import { Alert, Card, Flex, Input, Segmented, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { InfoCircleOutlined, SearchOutlined } from '@ant-design/icons';
import { usage } from '../api/endpoints';
import type { Capability, Model } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { useI18n, type MessageKey, type Translate } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { useAsync } from '../lib/useAsync';
import { CAPABILITY_COLOR, capabilityLabel } from '../lib/capabilities';

/** A price in P with as many digits as it needs (prices per 1K tokens run to fractions of a point). */
export function points(p: number): string {
  return p.toLocaleString(undefined, { maximumFractionDigits: 6 });
}

/** The per-unit price of a model not sold by tokens (images, characters, minutes, searches), in the reader's words. */
function unitPrices(t: Translate, m: Model): string[] {
  const p = m.price;
  if (!p) return [];
  const out: string[] = [];
  const add = (v: number | null, key: MessageKey) => v !== null && out.push(t(key, { p: `${points(v)} P` }));
  add(p.perImage, 'prices.perImage');
  add(p.perKChars, 'prices.perKChars');
  add(p.perMinute, 'prices.perMinute');
  add(p.perKSearches, 'prices.perKSearches');
  return out;
}

/** Token prices are shown for models that are sold by tokens (an image model priced per image shows none). */
const soldByTokens = (m: Model) => !!m.price && (m.price.input > 0 || m.price.output > 0 || m.price.cachedInput > 0);

/** "Models & prices": what every model the account may use does and costs it, and what 1 P is worth. */
export default function ModelsPrices() {
  const { t } = useI18n();
  const listing = useAsync(() => usage.models(), []);
  const [query, setQuery] = useState('');
  const [cap, setCap] = useState<Capability | 'all'>('all');
  const items = listing.data?.items ?? [];
  const present = useMemo(() => [...new Set(items.map((m) => m.capability))], [items]);
  const shown = items.filter((m) => (cap === 'all' || m.capability === cap) && m.id.toLowerCase().includes(query.trim().toLowerCase()));
  const point = listing.data?.point;

  const tokenCol = (title: MessageKey, pick: (p: NonNullable<Model['price']>) => number, help?: MessageKey) => ({
    title: (
      <span>
        {t(title)}
        {help && (
          <Tooltip title={t(help)}>
            <InfoCircleOutlined style={{ marginInlineStart: 4, color: '#8c8c8c' }} />
          </Tooltip>
        )}
      </span>
    ),
    align: 'right' as const,
    render: (_: unknown, m: Model) => (soldByTokens(m) ? points(pick(m.price!)) : '—'),
  });

  return (
    <>
      <PageHeader title={t('prices.title')} subtitle={t('prices.subtitle')} />
      <ErrorAlert error={listing.error} style={{ marginBottom: 16 }} />
      {point && (
        <Card size="small" style={{ marginBottom: 16 }} data-testid="point-value">
          <Flex wrap gap={12} align="center">
            <Typography.Text strong style={{ fontSize: 16 }}>
              {t('prices.pointWorth', { usd: point.usd })}
            </Typography.Text>
            {point.rates.map((r) => (
              <Tag key={r.provider} color="gold">
                {t('prices.rate', { currency: r.currency.toUpperCase(), points: points(r.pointsPerUnit) })}
              </Tag>
            ))}
            <Tag>{t('prices.group', { group: point.group })}</Tag>
            {point.multiplier !== 1 && <Tag color="green" data-testid="multiplier">{t('prices.multiplier', { m: point.multiplier })}</Tag>}
          </Flex>
          <Typography.Paragraph type="secondary" style={{ margin: '8px 0 0' }}>
            {t('prices.pointHelp')} {t('prices.apiHint')}
          </Typography.Paragraph>
        </Card>
      )}
      <Card size="small">
        <Flex wrap gap={12} style={{ marginBottom: 12 }}>
          <Input allowClear prefix={<SearchOutlined />} placeholder={t('prices.search')} aria-label={t('prices.search')} value={query} onChange={(e) => setQuery(e.target.value)} style={{ maxWidth: 260 }} />
          <Segmented
            value={cap}
            onChange={(v) => setCap(v as Capability | 'all')}
            options={[{ value: 'all', label: t('prices.all') }, ...present.map((c) => ({ value: c, label: capabilityLabel(t, c) }))]}
            data-testid="capability-filter"
          />
        </Flex>
        <Table<Model>
          rowKey="id"
          size="small"
          loading={listing.loading}
          dataSource={shown}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('prices.empty') }}
          onRow={(m) => ({ 'data-testid': `price-row-${m.id}` }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            { title: t('prices.model'), dataIndex: 'id', render: (id: string) => <Typography.Text code copyable={{ text: id }}>{id}</Typography.Text> },
            { title: t('prices.capability'), dataIndex: 'capability', render: (c: Capability) => <Tag color={CAPABILITY_COLOR[c]}>{capabilityLabel(t, c)}</Tag> },
            { title: t('prices.provider'), dataIndex: 'ownedBy' },
            {
              title: t('prices.perKTokens'),
              children: [
                tokenCol('prices.input', (p) => p.input),
                tokenCol('prices.cached', (p) => p.cachedInput),
                tokenCol('prices.output', (p) => p.output),
                tokenCol('prices.reasoning', (p) => p.reasoning, 'prices.reasoningHelp'),
              ],
            },
            {
              title: t('prices.other'),
              render: (_: unknown, m: Model) =>
                m.price ? (
                  <Space size={4} wrap>
                    {unitPrices(t, m).map((s) => (
                      <Tooltip key={s} title={m.capability === 'image' ? t('prices.imageHelp') : undefined}>
                        <span>{s}</span>
                      </Tooltip>
                    ))}
                    {!unitPrices(t, m).length && '—'}
                  </Space>
                ) : (
                  <Alert type="warning" showIcon={false} style={{ padding: '0 8px' }} title={t('prices.notPriced')} />
                ),
            },
          ]}
        />
      </Card>
    </>
  );
}
