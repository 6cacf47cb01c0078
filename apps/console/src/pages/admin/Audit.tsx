import { useEffect, useMemo, useState } from 'react';
import { App as AntApp, Button, Card, Col, Flex, Input, Row, Select, Table, Tag, Typography } from 'antd';
import { DownloadOutlined, ReloadOutlined } from '@ant-design/icons';
import { audit, type AuditEntry, type AuditFilter } from '../../api/audit';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { useI18n, type MessageKey, type Translate } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { changedFields, changeSummary, shortValue } from '../../lib/changes';
import { dateTime, downloadCsv } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

const DAY = 86_400_000;
const PAGE_MAX = 1000;
/** The export walks every matching row up to this many. */
const EXPORT_CAP = 50_000;

type Range = '24h' | '7d' | '30d' | '90d' | 'all';
const RANGES: Record<Exclude<Range, 'all'>, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '90d': 90 * DAY };

const ACTIONS = [
  'channel.create', 'channel.update', 'channel.enable', 'channel.disable', 'channel.delete', 'channel.test', 'health.check',
  'price.set', 'price.delete', 'group.set', 'user.create', 'user.update', 'user.limits', 'credit.adjust', 'codes.create', 'key.revoke', 'settings.update',
  // Content safety and privacy (issue 15).
  'safety_rule.create', 'safety_rule.update', 'safety_rule.delete', 'safety_rule.import', 'safety_policy.create', 'safety_policy.update', 'safety_policy.delete',
  'privacy_policy.set', 'privacy_policy.delete', 'privacy.purge', 'account.export', 'account.delete', 'user.two_factor_reset',
] as const;
const TARGET_TYPES = ['channel', 'price', 'group', 'user', 'codes', 'key', 'settings', 'safety_rule', 'safety_policy', 'privacy_policy_group', 'privacy_policy_app', 'request_contents'] as const;

const SAFETY_ACTIONS = new Set(['block', 'mask', 'flag']);
const DIRECTIONS = new Set(['input', 'output']);
const RULE_KINDS = new Set(['words', 'regex']);

/**
 * A changed field's value in the reader's language where it is one of the console's own words: a
 * content-safety rule's action, directions and kind, and a policy's actions per rule. Anything
 * else (names, ids, numbers) as it is.
 */
export function auditValue(field: string, v: unknown, t: Translate): string {
  const action = (a: unknown) => (typeof a === 'string' && SAFETY_ACTIONS.has(a) ? t(`safety.action.${a}` as MessageKey) : shortValue(a));
  if (field === 'action' && typeof v === 'string' && SAFETY_ACTIONS.has(v)) return action(v);
  if (field === 'kind' && typeof v === 'string' && RULE_KINDS.has(v)) return t(`safety.kind.${v}` as MessageKey);
  if (field === 'directions' && Array.isArray(v) && v.every((d) => typeof d === 'string' && DIRECTIONS.has(d))) return v.map((d) => t(`safety.direction.${d}` as MessageKey)).join(', ');
  if (field === 'actions' && v !== null && typeof v === 'object' && !Array.isArray(v))
    return Object.entries(v as Record<string, unknown>).map(([rule, a]) => `${rule}: ${action(a)}`).join(', ') || '—';
  if (field === 'moderation' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const m = v as Record<string, unknown>;
    return shortValue({ ...m, ...(typeof m.action === 'string' ? { action: action(m.action) } : {}) });
  }
  return shortValue(v);
}

/** A known action's label; a route-named one (an action the gateway records without a name of its own) as it is. */
function actionLabel(action: string, t: Translate): string {
  return (ACTIONS as readonly string[]).includes(action) ? t(`audit.action.${action}` as MessageKey) : action;
}

function viaLabel(via: string, t: Translate): string {
  return via === 'session' || via === 'root_token' || via === 'cli' ? t(`audit.via.${via}`) : via;
}

/** The admin audit log: who changed what and when, with the before/after of each change; filters and CSV export. */
export default function Audit() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [range, setRange] = useState<Range>('30d');
  const [action, setAction] = useState<string>();
  const [targetType, setTargetType] = useState<string>();
  const [targetId, setTargetId] = useState<string>();
  const [actor, setActor] = useState<string>();
  const [page, setPage] = useState({ current: 1, size: 20 });
  const [exporting, setExporting] = useState<number | null>(null);
  // "now" is fixed when a filter is chosen, so paging does not shift the window under the reader.
  const [now, setNow] = useState(() => Date.now());

  const filter = useMemo<AuditFilter>(
    () => ({ ...(range === 'all' ? {} : { from: now - RANGES[range] }), action, targetType, targetId: targetId?.trim() || undefined, actor: actor?.trim() || undefined }),
    [range, now, action, targetType, targetId, actor],
  );
  useEffect(() => setPage((p) => ({ ...p, current: 1 })), [filter]);
  const rows = useAsync(() => audit.list({ ...filter, limit: page.size, offset: (page.current - 1) * page.size }), [filter, page]);

  async function exportCsv() {
    setExporting(0);
    try {
      const all: AuditEntry[] = [];
      for (;;) {
        const p = await audit.list({ ...filter, limit: PAGE_MAX, offset: all.length });
        all.push(...p.items);
        setExporting(all.length);
        if (p.items.length < PAGE_MAX || all.length >= p.total || all.length >= EXPORT_CAP) break;
      }
      // Every text cell goes through the CSV neutraliser: names and reasons are typed by people.
      downloadCsv(
        `apigpt-audit-${new Date().toISOString().slice(0, 10)}.csv`,
        ['time', 'actor_email', 'actor_id', 'via', 'action', 'target_type', 'target_id', 'client_ip', 'changes', 'before', 'after'],
        all.map((e) => [
          new Date(e.created_at).toISOString(), e.actor_email, e.actor_id, e.via, e.action, e.target_type, e.target_id, e.client_ip,
          changeSummary(e.before, e.after), e.before === null ? '' : JSON.stringify(e.before), e.after === null ? '' : JSON.stringify(e.after),
        ]),
      );
    } catch (e) {
      message.error(errorText(t, e));
    } finally {
      setExporting(null);
    }
  }

  return (
    <>
      <PageHeader title={t('nav.audit')} subtitle={t('audit.subtitle')} />
      <Flex vertical gap={16}>
        <Card size="small">
          <Row gutter={[8, 8]}>
            <Col xs={12} sm={8} lg={4}>
              <Select<Range>
                aria-label={t('audit.time')}
                style={{ width: '100%' }}
                value={range}
                onChange={(r) => {
                  setRange(r);
                  setNow(Date.now());
                }}
                options={(['24h', '7d', '30d', '90d', 'all'] as const).map((r) => ({ value: r, label: t(`logs.range.${r}`) }))}
              />
            </Col>
            <Col xs={12} sm={8} lg={5}>
              <Select allowClear showSearch optionFilterProp="label" aria-label={t('audit.action')} placeholder={t('audit.action')} style={{ width: '100%' }} value={action} onChange={setAction} options={ACTIONS.map((a) => ({ value: a, label: actionLabel(a, t) }))} data-testid="audit-action" />
            </Col>
            <Col xs={12} sm={8} lg={4}>
              <Select allowClear aria-label={t('audit.targetType')} placeholder={t('audit.targetType')} style={{ width: '100%' }} value={targetType} onChange={setTargetType} options={TARGET_TYPES.map((v) => ({ value: v, label: t(`audit.type.${v}`) }))} />
            </Col>
            <Col xs={12} sm={8} lg={4}>
              <Input.Search allowClear aria-label={t('audit.targetId')} placeholder={t('audit.targetId')} onSearch={(v) => setTargetId(v || undefined)} />
            </Col>
            <Col xs={24} sm={8} lg={4}>
              <Input.Search allowClear aria-label={t('audit.actor')} placeholder={t('audit.actorPlaceholder')} onSearch={(v) => setActor(v || undefined)} />
            </Col>
            <Col flex="auto" style={{ textAlign: 'right' }}>
              <Flex gap={8} justify="flex-end" wrap>
                <Button icon={<ReloadOutlined />} onClick={() => setNow(Date.now())}>
                  {t('common.refresh')}
                </Button>
                <Button icon={<DownloadOutlined />} onClick={exportCsv} loading={exporting !== null}>
                  {exporting !== null ? t('logs.exporting', { n: exporting }) : t('logs.export')}
                </Button>
              </Flex>
            </Col>
          </Row>
        </Card>
        <ErrorAlert error={rows.error} />
        <Card size="small" styles={{ body: { padding: 0 } }}>
          <Table<AuditEntry>
            size="small"
            rowKey="id"
            loading={rows.loading}
            dataSource={rows.data?.items ?? []}
            scroll={{ x: 900 }}
            locale={{ emptyText: <EmptyHint text={t('audit.empty')} /> }}
            pagination={{
              current: page.current,
              pageSize: page.size,
              total: rows.data?.total ?? 0,
              showSizeChanger: true,
              showTotal: (n) => t('audit.count', { n }),
              onChange: (current, size) => setPage({ current, size }),
            }}
            expandable={{ expandedRowRender: (e) => <Changes entry={e} />, rowExpandable: () => true }}
            columns={[
              { title: t('audit.time'), dataIndex: 'created_at', width: 170, render: (v: number) => dateTime(v, locale) },
              {
                title: t('audit.actor'),
                key: 'actor',
                render: (_, e) => (
                  <>
                    {e.actor_email ?? '—'} <Tag>{viaLabel(e.via, t)}</Tag>
                  </>
                ),
              },
              { title: t('audit.action'), dataIndex: 'action', render: (a: string) => <span data-testid="audit-row-action">{actionLabel(a, t)}</span> },
              {
                title: t('audit.target'),
                key: 'target',
                ellipsis: true,
                render: (_, e) =>
                  e.target_type || e.target_id ? (
                    <>
                      {e.target_type ? `${(TARGET_TYPES as readonly string[]).includes(e.target_type) ? t(`audit.type.${e.target_type}` as MessageKey) : e.target_type} ` : ''}
                      {e.target_id && <Typography.Text code>{e.target_id}</Typography.Text>}
                    </>
                  ) : (
                    '—'
                  ),
              },
              { title: t('audit.ip'), dataIndex: 'client_ip', width: 130, render: (v: string | null) => v ?? '—' },
            ]}
          />
        </Card>
      </Flex>
    </>
  );
}

/** The fields the action changed, before and after. */
function Changes({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  const fields = changedFields(entry.before, entry.after);
  if (fields.length === 0) return <Typography.Text type="secondary">{t('audit.noChange')}</Typography.Text>;
  return (
    <Table
      size="small"
      rowKey="field"
      pagination={false}
      dataSource={fields}
      data-testid="audit-changes"
      columns={[
        { title: t('audit.field'), dataIndex: 'field', width: 180, render: (f: string) => <Typography.Text code>{f}</Typography.Text> },
        { title: t('audit.before'), dataIndex: 'before', render: (v: unknown, c) => <span style={{ wordBreak: 'break-all' }}>{auditValue(c.field, v, t)}</span> },
        { title: t('audit.after'), dataIndex: 'after', render: (v: unknown, c) => <span style={{ wordBreak: 'break-all' }}>{auditValue(c.field, v, t)}</span> },
      ]}
    />
  );
}
