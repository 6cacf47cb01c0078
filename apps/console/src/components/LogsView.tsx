import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { App as AntApp, Button, Card, Col, DatePicker, Flex, Grid, Input, Row, Select, Space, Statistic, Table, Tag, Tooltip, Typography } from 'antd';
import { useConsoleT } from '../i18n/console-quality';
import { DownloadOutlined, ReloadOutlined } from '@ant-design/icons';
import type { LogFilter } from '../api/endpoints';
import type { ApiKey, App, Page, RequestLog } from '../api/types';
import { useI18n } from '../i18n';
import { dateTime, downloadCsv, money, num } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { callErrorText, ErrorAlert } from './ErrorAlert';
import { EmptyHint } from './EmptyHint';
import { CallDecisions } from './CallDecisions';
import { LogContent } from './LogContent';

const PAGE_MAX = 1000;

/**
 * The units a call was metered in besides input and output tokens, as short labels, only those that
 * are non-zero (a chat call has none; a transcription has its seconds, a speech call its characters).
 */
function unitLabels(l: RequestLog, t: ReturnType<typeof useI18n>['t']): string[] {
  const out: string[] = [];
  if (l.images) out.push(t('logs.unit.images', { n: num(l.images) }));
  if (l.characters) out.push(t('logs.unit.characters', { n: num(l.characters) }));
  if (l.seconds) out.push(t('logs.unit.seconds', { n: num(l.seconds), duration: duration(l.seconds) }));
  if (l.searches) out.push(t('logs.unit.searches', { n: num(l.searches) }));
  return out;
}

/** 95 → "1:35"; 3725 → "1:02:05". */
function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}
/** Totals and CSV walk every matching row; past this many the user is asked to narrow the filter. */
const SCAN_CAP = 20_000;
const DAY = 86_400_000;

type Range = '24h' | '7d' | '30d' | '90d' | 'all' | 'custom';

export interface LogsViewProps {
  fetch(f: LogFilter): Promise<Page<RequestLog>>;
  apps?: App[];
  keys?: ApiKey[];
  models?: string[];
  /** Admin view: a user filter and column (the caller's email), and the serving channel's name. */
  admin?: boolean;
  /** Admin view: the calls of this email only, to start with. */
  initialEmail?: string;
  initialStatus?: 'ok' | 'error';
}

/** A filterable request log with totals and CSV export, shared by the user's and the admin's page. */
export function LogsView(props: LogsViewProps) {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const [range, setRange] = useState<Range>('7d');
  const [custom, setCustom] = useState<[number, number] | null>(null);
  const [appId, setAppId] = useState<string>();
  const [keyId, setKeyId] = useState<string>();
  const [model, setModel] = useState<string>();
  const [status, setStatus] = useState<'ok' | 'error' | undefined>(props.initialStatus);
  const [userEmail, setUserEmail] = useState<string | undefined>(props.initialEmail);
  const [clientRequestId, setClientRequestId] = useState<string>();
  const tq = useConsoleT();
  // Phones get chosen columns (time and model stacked, status, cost): no sideways scrolling.
  const phone = !Grid.useBreakpoint().md;
  const [page, setPage] = useState({ current: 1, size: 20 });
  const [exporting, setExporting] = useState<number | null>(null);
  // "now" is fixed when a filter is chosen, so paging does not shift the window under the reader.
  const [now, setNow] = useState(() => Date.now());

  const filter = useMemo<LogFilter>(() => {
    const span: Record<Exclude<Range, 'all' | 'custom'>, number> = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY, '90d': 90 * DAY };
    const time = range === 'custom' && custom ? { from: custom[0], to: custom[1] } : range === 'all' || range === 'custom' ? {} : { from: now - span[range] };
    return { ...time, appId, keyId, model, status, userEmail: userEmail?.trim() || undefined, clientRequestId };
  }, [range, custom, appId, keyId, model, status, userEmail, clientRequestId, now]);

  useEffect(() => {
    setPage((p) => ({ ...p, current: 1 }));
  }, [filter]);

  const rows = useAsync(() => props.fetch({ ...filter, limit: page.size, offset: (page.current - 1) * page.size }), [filter, page]);
  const totals = useAsync(() => scanAll(props.fetch, filter).then(sum), [filter]);

  const showUnits = (rows.data?.items ?? []).some((l) => unitLabels(l, t).length > 0);

  const appName = (id: string | null) => props.apps?.find((a) => a.id === id)?.name ?? id ?? '—';

  async function exportCsv() {
    setExporting(0);
    try {
      const all = await scanAll(props.fetch, filter, (n) => setExporting(n));
      downloadCsv(
        `apigpt-logs-${new Date().toISOString().slice(0, 10)}.csv`,
        ['time', 'request_id', 'client_request_id', ...(props.admin ? ['user_id', 'user_email', 'channel'] : []), 'app', 'key', 'endpoint', 'model', 'status', 'error', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'latency_ms', 'cost_p'],
        all.items.map((l) => [
          new Date(l.created_at).toISOString(), l.id, l.client_request_id, ...(props.admin ? [l.user_id, adminRow(l).user_email, adminRow(l).channel_name] : []), appName(l.app_id), l.key_prefix, l.endpoint, l.model_requested, l.status,
          l.error_code, l.prompt_tokens, l.completion_tokens, l.cached_tokens, Math.round(l.latency_ms), l.cost ?? '',
        ]),
      );
    } catch (e) {
      message.error(t('logs.exportFailed', { message: (e as Error).message }));
    } finally {
      setExporting(null);
    }
  }

  return (
    <Flex vertical gap={16}>
      <Card size="small">
        <Row gutter={[8, 8]}>
          <Col xs={24} sm={12} lg={6}>
            <Select<Range>
              aria-label={tq('logs.filterRange')}
              style={{ width: '100%' }}
              value={range}
              onChange={(r) => {
                setRange(r);
                setNow(Date.now());
              }}
              options={(['24h', '7d', '30d', '90d', 'all', 'custom'] as const).map((r) => ({ value: r, label: t(`logs.range.${r}`) }))}
            />
          </Col>
          {range === 'custom' && (
            <Col xs={24} sm={12} lg={8}>
              <DatePicker.RangePicker aria-label={tq('logs.customRange')} showTime style={{ width: '100%' }} onChange={(v) => setCustom(v?.[0] && v[1] ? [v[0].valueOf(), v[1].valueOf()] : null)} />
            </Col>
          )}
          {props.apps && (
            <Col xs={12} sm={6} lg={4}>
              <Select allowClear aria-label={tq('logs.filterApp')} placeholder={t('logs.app')} style={{ width: '100%' }} value={appId} onChange={setAppId} options={props.apps.map((a) => ({ value: a.id, label: a.name }))} />
            </Col>
          )}
          {props.keys && (
            <Col xs={12} sm={6} lg={4}>
              <Select
                allowClear
                aria-label={tq('logs.filterKey')}
                placeholder={t('logs.key')}
                style={{ width: '100%' }}
                value={keyId}
                onChange={setKeyId}
                options={props.keys.filter((k) => !appId || k.app_id === appId).map((k) => ({ value: k.id, label: `${k.name} (${k.prefix}…)` }))}
              />
            </Col>
          )}
          <Col xs={12} sm={6} lg={4}>
            <Select allowClear showSearch aria-label={tq('logs.filterModel')} placeholder={t('common.model')} style={{ width: '100%' }} value={model} onChange={setModel} options={(props.models ?? []).map((m) => ({ value: m, label: m }))} />
          </Col>
          <Col xs={12} sm={6} lg={3}>
            <Select
              allowClear
              aria-label={tq('logs.filterStatus')}
              placeholder={t('common.status')}
              style={{ width: '100%' }}
              value={status}
              onChange={setStatus}
              options={[
                { value: 'ok', label: t('logs.ok') },
                { value: 'error', label: t('logs.error') },
              ]}
            />
          </Col>
          {props.admin && (
            <Col xs={24} sm={12} lg={5}>
              <Input.Search allowClear aria-label={tq('logs.filterEmail')} placeholder={tq('logs.userEmail')} defaultValue={props.initialEmail} onSearch={(v) => setUserEmail(v.trim() || undefined)} data-testid="logs-email" />
            </Col>
          )}
          <Col xs={24} sm={12} lg={5}>
            <Input.Search allowClear aria-label={tq('logs.filterClientRequestId')} placeholder={tq('logs.clientRequestId')} onSearch={(v) => setClientRequestId(v.trim() || undefined)} data-testid="logs-client-request-id" />
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

      <Row gutter={[16, 16]}>
        {(
          [
            ['logs.totalRequests', totals.data ? num(totals.data.requests) : '—'],
            ['logs.totalErrors', totals.data ? num(totals.data.errors) : '—'],
            ['logs.totalTokens', totals.data ? num(totals.data.tokens) : '—'],
            ['logs.totalCost', totals.data ? (totals.data.hasCost ? money(totals.data.cost) : '—') : '—'],
          ] as const
        ).map(([k, v]) => (
          <Col xs={12} md={6} key={k}>
            <Card size="small">
              <Statistic title={t(k)} value={v} loading={totals.loading} />
            </Card>
          </Col>
        ))}
      </Row>
      {totals.data?.capped && <Typography.Text type="warning">{t('logs.capped', { n: SCAN_CAP })}</Typography.Text>}

      <ErrorAlert error={rows.error} />
      <Card size="small" styles={{ body: { padding: 0 } }}>
        <Table<RequestLog>
          size="small"
          rowKey="id"
          loading={rows.loading}
          dataSource={rows.data?.items ?? []}
          scroll={phone ? undefined : { x: 1000 }}
          tableLayout={phone ? 'fixed' : undefined}
          locale={{ emptyText: <EmptyHint text={t('logs.empty')} /> }}
          pagination={{
            current: page.current,
            pageSize: page.size,
            total: rows.data?.total ?? 0,
            showSizeChanger: true,
            showTotal: (n) => t('logs.count', { n }),
            onChange: (current, size) => setPage({ current, size }),
          }}
          expandable={{ expandedRowRender: (l) => <LogDetail log={l} admin={props.admin} />, rowExpandable: () => true, columnWidth: phone ? 32 : undefined }}
          columns={phone ? [
            {
              title: t('common.model'),
              key: 'call',
              render: (_: unknown, l: RequestLog) => (
                <Space orientation="vertical" size={0} style={{ minWidth: 0, maxWidth: '100%' }}>
                  <Typography.Text ellipsis style={{ maxWidth: '100%' }}>{l.model_requested ?? l.endpoint}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>{dateTime(l.created_at, locale)}</Typography.Text>
                  {props.admin && <Typography.Text type="secondary" ellipsis style={{ fontSize: 12, maxWidth: '100%' }}>{adminRow(l).user_email ?? l.user_id}</Typography.Text>}
                </Space>
              ),
            },
            { title: t('common.status'), dataIndex: 'status', width: 64, render: (s: number) => <Tag color={s < 400 ? 'green' : 'red'}>{s}</Tag> },
            { title: t('common.cost'), dataIndex: 'cost', width: 96, align: 'right' as const, render: (v: number | undefined) => <span data-testid="log-cost">{money(v)}</span> },
          ] : [
            { title: t('logs.time'), dataIndex: 'created_at', width: 170, render: (v: number) => dateTime(v, locale) },
            ...(props.admin
              ? [
                  { title: tq('logs.userEmail'), key: 'user_email', ellipsis: true, width: 200, render: (_: unknown, l: RequestLog) => <span data-testid="log-user">{adminRow(l).user_email ?? l.user_id}</span> },
                  { title: tq('logs.channelName'), key: 'channel_name', ellipsis: true, width: 140, render: (_: unknown, l: RequestLog) => <span data-testid="log-channel">{adminRow(l).channel_name ?? '—'}</span> },
                ]
              : []),
            ...(props.apps ? [{ title: t('logs.app'), dataIndex: 'app_id', ellipsis: true, render: appName }] : []),
            { title: t('logs.key'), dataIndex: 'key_prefix', render: (v: string | null) => (v ? <Typography.Text code>{v}</Typography.Text> : '—') },
            { title: t('common.model'), dataIndex: 'model_requested', ellipsis: true, render: (v: string | null, l) => v ?? l.endpoint },
            {
              title: t('common.status'),
              dataIndex: 'status',
              render: (s: number, l) => (
                <>
                  <Tooltip title={l.error_code || l.error_message ? callErrorText(t, l.error_code, l.error_message) : undefined}>
                    <Tag color={s < 400 ? 'green' : 'red'}>{s}</Tag>
                  </Tooltip>
                  {/* One click from a failed call to a support ticket with the call attached. */}
                  {!props.admin && s >= 400 && (
                    <Link to={`/support?${new URLSearchParams({ requestId: l.id, model: l.model_requested ?? l.endpoint })}`} data-testid={`ask-help-${l.id}`}>
                      {t('support.askForHelp')}
                    </Link>
                  )}
                </>
              ),
            },
            {
              title: t('logs.tokens'),
              key: 'tokens',
              align: 'right',
              render: (_, l) => (
                <>
                  {`${num(l.prompt_tokens)} / ${num(l.completion_tokens)}`}
                  {!!l.reasoning_tokens && (
                    <div>
                      <Typography.Text type="secondary">{t('logs.reasoningShort', { n: num(l.reasoning_tokens) })}</Typography.Text>
                    </div>
                  )}
                </>
              ),
            },
            // Shown when a call on this page was metered in images, characters, seconds or searches.
            ...(showUnits
              ? [{ title: t('logs.units'), key: 'units', align: 'right' as const, render: (_: unknown, l: RequestLog) => unitLabels(l, t).join(' · ') || '—' }]
              : []),
            { title: t('logs.latency'), dataIndex: 'latency_ms', align: 'right', render: (v: number) => `${Math.round(v)} ms` },
            { title: t('common.cost'), dataIndex: 'cost', align: 'right', render: (v: number | undefined) => <span data-testid="log-cost">{money(v)}</span> },
          ]}
        />
      </Card>
    </Flex>
  );
}

/** The admin log's rows carry the caller's email and the channel's name (GET /api/admin/logs). */
function adminRow(l: RequestLog): { user_email: string | null; channel_name: string | null } {
  const r = l as RequestLog & { user_email?: string | null; channel_name?: string | null };
  return { user_email: r.user_email ?? null, channel_name: r.channel_name ?? null };
}

function LogDetail({ log, admin }: { log: RequestLog; admin?: boolean }) {
  const { t } = useI18n();
  const tq = useConsoleT();
  const rows: [string, string | number | null][] = [
    [t('logs.requestId'), log.id],
    ...(log.client_request_id ? [[tq('logs.clientRequestId'), log.client_request_id] as [string, string]] : []),
    [t('logs.endpoint'), `${log.endpoint} (${log.dialect})`],
    [t('logs.modelSent'), log.model_sent],
    [t('logs.channel'), admin ? (adminRow(log).channel_name ?? log.channel_id) : log.channel_id],
    ...(admin ? [[tq('logs.userEmail'), adminRow(log).user_email ?? log.user_id] as [string, string]] : []),
    [t('logs.stream'), log.stream ? t('common.yes') : t('common.no')],
    [t('logs.ttft'), log.ttft_ms === null ? null : `${Math.round(log.ttft_ms)} ms`],
    [t('logs.cached'), log.cached_tokens],
    ...(log.reasoning_tokens ? [[t('logs.reasoning'), num(log.reasoning_tokens)] as [string, string]] : []),
    ...(unitLabels(log, t).length ? [[t('logs.units'), unitLabels(log, t).join(' · ')] as [string, string]] : []),
    [t('logs.attempts'), log.attempts],
    [t('logs.errorDetail'), log.error_code ? `${log.error_code}: ${callErrorText(t, log.error_code, log.error_message)}` : null],
  ];
  return (
    <Row gutter={[16, 4]}>
      {rows.map(([k, v]) => (
        <Col xs={24} md={12} key={k}>
          <Typography.Text type="secondary">{k}: </Typography.Text>
          <Typography.Text>{v ?? '—'}</Typography.Text>
        </Col>
      ))}
      {/* Content safety: the rules' and the moderation model's decisions on this call (admins). */}
      {admin && (
        <Col span={24}>
          <CallDecisions requestId={log.id} />
        </Col>
      )}
      {/* Privacy: the call's prompt and answer, only when content logging was on for it. */}
      <Col span={24}>
        <LogContent id={log.id} admin={admin} />
      </Col>
    </Row>
  );
}

async function scanAll(fetch: LogsViewProps['fetch'], f: LogFilter, progress?: (n: number) => void): Promise<{ items: RequestLog[]; capped: boolean }> {
  const items: RequestLog[] = [];
  for (;;) {
    const page = await fetch({ ...f, limit: PAGE_MAX, offset: items.length });
    items.push(...page.items);
    progress?.(items.length);
    if (page.items.length < PAGE_MAX || items.length >= page.total) return { items, capped: false };
    if (items.length >= SCAN_CAP) return { items, capped: true };
  }
}

function sum({ items, capped }: { items: RequestLog[]; capped: boolean }) {
  let requests = 0, errors = 0, tokens = 0, cost = 0, hasCost = false;
  for (const l of items) {
    requests++;
    if (l.status >= 400) errors++;
    tokens += l.prompt_tokens + l.completion_tokens;
    if (typeof l.cost === 'number') {
      cost += l.cost;
      hasCost = true;
    }
  }
  return { requests, errors, tokens, cost, hasCost, capped };
}
