import { useEffect, useMemo, useState } from 'react';
import { App as AntApp, Button, Card, Drawer, Form, Grid, Input, InputNumber, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { CloudDownloadOutlined, DeleteOutlined, EditOutlined, HistoryOutlined, MedicineBoxOutlined, PlusOutlined, ReloadOutlined, ThunderboltOutlined } from '@ant-design/icons';
import { call } from '../../api/client';
import { errorText } from '../../components/ErrorAlert';
import { useConsoleT } from '../../i18n/console-quality';
import { admin } from '../../api/endpoints';
import type { Channel, ChannelEvent, ChannelHealth, ChannelTestResult, ChannelTimeouts, Provider } from '../../api/types';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { validated } from '../../lib/forms';
import { useI18n, useT, type MessageKey } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime, num, splitList } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useAction } from '../../lib/useAction';

/** How often the page re-reads circuit states, so a channel tripping or recovering shows up unasked. */
const HEALTH_REFRESH_MS = 10_000;

/** Upstream channels: where requests go, in which order (priority tiers, weights inside a tier). */
export default function Channels() {
  const t = useT();
  const { message } = AntApp.useApp();
  const list = useAsync(() => admin.channels(), []);
  const health = useAsync(() => admin.channelHealth(), []);
  const providers = useAsync(() => admin.providers(), []);
  const [editing, setEditing] = useState<Channel | 'new' | null>(null);
  const [tests, setTests] = useState<Record<string, ChannelTestResult | 'running'>>({});
  const [history, setHistory] = useState<Channel | null>(null);
  const [checking, setChecking] = useState(false);
  const healthById = useMemo(() => new Map((health.data?.items ?? []).map((h) => [h.id, h])), [health.data]);

  // Circuits open and close on their own (live traffic, the background probe): poll while the page is open.
  const { reload: reloadList } = list;
  const { reload: reloadHealth } = health;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      reloadList();
      reloadHealth();
    }, HEALTH_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reloadList, reloadHealth]);

  function refresh() {
    list.reload();
    health.reload();
  }

  /** Runs the background probe now: resting and health-disabled channels are tried and come back if they pass. */
  async function checkNow() {
    setChecking(true);
    try {
      await admin.checkHealth();
      message.success(t('channels.checkDone'));
    } catch (e) {
      message.error(t('channels.checkFailed', { message: (e as Error).message }));
    } finally {
      setChecking(false);
      refresh();
    }
  }

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
      refresh();
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
          <Space wrap>
            <Button icon={<ReloadOutlined />} onClick={refresh} aria-label={t('common.refresh')} />
            <Tooltip title={t('channels.checkNowHelp')}>
              <Button icon={<MedicineBoxOutlined />} loading={checking} onClick={checkNow} data-testid="check-health">
                {t('channels.checkNow')}
              </Button>
            </Tooltip>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
              {t('channels.create')}
            </Button>
          </Space>
        }
      />
      <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />
      <ErrorAlert error={health.error} style={{ marginBottom: 16 }} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<Channel>
          rowKey="id"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 1100 }}
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
              render: (_, c) => (
                <Space size={4}>
                  <HealthTag channel={c} health={healthById.get(c.id)} />
                  <Button size="small" type="text" icon={<HistoryOutlined />} onClick={() => setHistory(c)} aria-label={t('channels.history')} data-testid={`history-${c.name}`} />
                </Space>
              ),
            },
            {
              title: <Tooltip title={t('channels.promptCacheHelp')}>{t('channels.promptCache')}</Tooltip>,
              key: 'cache',
              align: 'right',
              render: (_, c) => <PromptCache health={healthById.get(c.id)} name={c.name} />,
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
          refresh();
        }}
      />
      <HealthHistory channel={history} health={history ? healthById.get(history.id) : undefined} onClose={() => setHistory(null)} />
    </>
  );
}

/**
 * Prompt caching on a channel over the last 24 hours (GET /api/admin/channels/health `cache`): the
 * share of prompt tokens read from the provider's cache, with the counts behind it on hover.
 */
function PromptCache({ health, name }: { health: ChannelHealth | undefined; name: string }) {
  const t = useT();
  const cache = health?.cache;
  if (!cache || cache.hitRate === null)
    return (
      <Tooltip title={t('channels.promptCacheNone')}>
        <Typography.Text type="secondary" data-testid={`cache-${name}`}>
          —
        </Typography.Text>
      </Tooltip>
    );
  const detail = t('channels.promptCacheDetail', { cached: num(cache.cachedTokens), prompt: num(cache.promptTokens), written: num(cache.cacheWriteTokens), calls: num(cache.calls) });
  return (
    <Tooltip title={detail}>
      <Typography.Text data-testid={`cache-${name}`}>{(cache.hitRate * 100).toFixed(1)}%</Typography.Text>
    </Tooltip>
  );
}

/**
 * One channel's health in a word: serving, resting (circuit open) until a time, being probed, or off
 * (and who turned it off, since a health-disabled channel comes back by itself and an admin's does not).
 */
function HealthTag({ channel: c, health: h }: { channel: Channel; health: ChannelHealth | undefined }) {
  const { t, locale } = useI18n();
  const testId = `health-${c.name}`;
  const disabledBy = h?.disabledBy ?? c.disabledBy ?? null;
  if (!c.enabled)
    return disabledBy === 'health' ? (
      <Tooltip title={t('channels.disabledByHealthHelp')}>
        <Tag color="red" data-testid={testId}>
          {t('channels.disabledByHealth')}
        </Tag>
      </Tooltip>
    ) : (
      <Tooltip title={t('channels.disabledByAdminHelp')}>
        <Tag data-testid={testId}>{t('channels.disabledByAdmin')}</Tag>
      </Tooltip>
    );
  if (!h) return <Typography.Text type="secondary">—</Typography.Text>;
  if (h.state === 'open')
    return (
      <Tooltip title={t('channels.restingHelp', { failures: h.consecutiveFailures, trips: h.trips })}>
        <Tag color="orange" data-testid={testId}>
          {t('channels.resting', { time: h.openUntil ? clock(h.openUntil, locale) : '—' })}
        </Tag>
      </Tooltip>
    );
  if (h.state === 'half_open')
    return (
      <Tooltip title={t('channels.probingHelp')}>
        <Tag color="gold" data-testid={testId}>
          {t('channels.probing')}
        </Tag>
      </Tooltip>
    );
  return (
    <Tag color="green" data-testid={testId}>
      {h.consecutiveFailures > 0 ? t('channels.healthyFailures', { n: h.consecutiveFailures }) : t('channels.healthy')}
    </Tag>
  );
}

/** Time of day, with the date only when it is not today. */
function clock(ms: number, locale: string): string {
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString(locale, { hour12: false }) : dateTime(ms, locale);
}

const EVENT_KINDS: Record<string, { key: MessageKey; color: string }> = {
  circuit_open: { key: 'channels.event.circuit_open', color: 'orange' },
  circuit_half_open: { key: 'channels.event.circuit_half_open', color: 'gold' },
  circuit_closed: { key: 'channels.event.circuit_closed', color: 'green' },
  auto_disabled: { key: 'channels.event.auto_disabled', color: 'red' },
  auto_enabled: { key: 'channels.event.auto_enabled', color: 'green' },
  probe_ok: { key: 'channels.event.probe_ok', color: 'green' },
  probe_failed: { key: 'channels.event.probe_failed', color: 'red' },
  admin_disabled: { key: 'channels.event.admin_disabled', color: 'default' },
  admin_enabled: { key: 'channels.event.admin_enabled', color: 'blue' },
};

/** A channel's health history, newest first: circuit changes, probes, automatic and manual enable / disable. */
function HealthHistory({ channel, health, onClose }: { channel: Channel | null; health: ChannelHealth | undefined; onClose(): void }) {
  const { t, locale } = useI18n();
  // Full width on phones: a 720 px panel would hang off a 390 px screen.
  const wide = Grid.useBreakpoint().md;
  const events = useAsync(() => (channel ? admin.channelEvents(channel.id, 100) : Promise.resolve({ items: [] as ChannelEvent[] })), [channel?.id, health?.state, health?.enabled, health?.trips]);
  return (
    <Drawer
      open={!!channel}
      onClose={onClose}
      title={channel ? t('channels.historyTitle', { name: channel.name }) : ''}
      size={wide ? 720 : '100%'}
      extra={<Button icon={<ReloadOutlined />} onClick={events.reload} aria-label={t('common.refresh')} />}
    >
      {channel && (
        <Space wrap style={{ marginBottom: 16 }}>
          <HealthTag channel={channel} health={health} />
          {health && <Typography.Text type="secondary">{t('channels.healthCounts', { failures: health.consecutiveFailures, trips: health.trips })}</Typography.Text>}
        </Space>
      )}
      <ErrorAlert error={events.error} style={{ marginBottom: 12 }} />
      <Table<ChannelEvent>
        rowKey="id"
        size="small"
        loading={events.loading}
        dataSource={events.data?.items ?? []}
        pagination={false}
        data-testid="channel-events"
        locale={{ emptyText: <EmptyHint text={t('channels.noEvents')} /> }}
        columns={wide ? [
          { title: t('channels.eventTime'), dataIndex: 'created_at', width: 170, render: (v: number) => <Typography.Text style={{ whiteSpace: 'nowrap' }}>{dateTime(v, locale)}</Typography.Text> },
          {
            title: t('channels.eventKind'),
            dataIndex: 'kind',
            width: 150,
            render: (k: string) => {
              const known = EVENT_KINDS[k];
              return <Tag color={known?.color}>{known ? t(known.key) : k}</Tag>;
            },
          },
          { title: t('channels.eventDetail'), dataIndex: 'detail', render: (d: string) => <Typography.Text style={{ wordBreak: 'break-word' }}>{d || '—'}</Typography.Text> },
        ] : [
          // Phones: time and event stacked in one column, so the detail keeps a readable width.
          {
            title: t('channels.eventKind'),
            dataIndex: 'kind',
            width: 150,
            render: (k: string, e) => (
              <Space orientation="vertical" size={2}>
                <Tag color={EVENT_KINDS[k]?.color}>{EVENT_KINDS[k] ? t(EVENT_KINDS[k].key) : k}</Tag>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>{dateTime(e.created_at, locale)}</Typography.Text>
              </Space>
            ),
          },
          { title: t('channels.eventDetail'), dataIndex: 'detail', render: (d: string) => <Typography.Text style={{ wordBreak: 'break-word' }}>{d || '—'}</Typography.Text> },
        ]}
      />
    </Drawer>
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
  firstByteS?: number | null;
  idleS?: number | null;
}

/** `settings.timeouts` as seconds for the form (the server keeps milliseconds). */
function timeoutsOf(c: Channel): ChannelTimeouts {
  const raw = c.settings?.timeouts;
  if (!raw || typeof raw !== 'object') return {};
  const { firstByteMs, idleMs } = raw as Record<string, unknown>;
  return { firstByteMs: typeof firstByteMs === 'number' ? firstByteMs : undefined, idleMs: typeof idleMs === 'number' ? idleMs : undefined };
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
  const { busy, error, setError, run } = useAction();
  const existing = channel && channel !== 'new' ? channel : null;
  const provider = Form.useWatch('provider', form);
  const kind = providers.find((p) => p.kind === provider);
  const needsSecret = kind?.needsSecret ?? false;
  const tq = useConsoleT();
  const [fetched, setFetched] = useState<{ models: string[] } | { error: string } | null>(null);
  const [fetching, setFetching] = useState(false);
  const typedModels = Form.useWatch('models', form);

  /**
   * A new kind picked: its public address goes into the base URL, unless the admin typed one of
   * their own (anything that is not another kind's default address).
   */
  function pickProvider(next: string) {
    setFetched(null);
    const current = (form.getFieldValue('baseUrl') as string | undefined)?.trim() ?? '';
    const defaults = new Set(providers.map((p) => p.defaultBaseUrl).filter(Boolean));
    const fill = providers.find((p) => p.kind === next)?.defaultBaseUrl;
    if (!current || defaults.has(current)) form.setFieldsValue({ baseUrl: fill ?? '' });
  }

  /** Reads the upstream's model list with the form's provider, base URL and key (a saved channel's key when left blank). */
  async function fetchModels() {
    const v = form.getFieldsValue();
    setFetching(true);
    setFetched(null);
    try {
      const r = await call('POST /api/admin/channels/models', {
        body: { provider: v.provider, baseUrl: (v.baseUrl ?? '').trim(), ...(v.secret ? { secret: v.secret } : {}), ...(existing ? { channelId: existing.id } : {}) },
      });
      setFetched({ models: r.models });
    } catch (e) {
      setFetched({ error: errorText(t, e) });
    } finally {
      setFetching(false);
    }
  }

  // Filled as the dialog opens (not after its animation) so early typing is kept.
  useEffect(() => {
    if (!channel) return;
    setError(undefined);
    setFetched(null);
    form.resetFields();
    if (existing)
      form.setFieldsValue({
        ...existing,
        secret: '',
        models: existing.models.join('\n'),
        modelMap: Object.entries(existing.modelMap).map(([a, b]) => `${a}=${b}`).join('\n'),
        groups: existing.groups.join(', '),
        firstByteS: timeoutsOf(existing).firstByteMs ? timeoutsOf(existing).firstByteMs! / 1000 : null,
        idleS: timeoutsOf(existing).idleMs ? timeoutsOf(existing).idleMs! / 1000 : null,
      });
  }, [channel, existing, form]);

  async function save() {
    const v = await validated(form);
        if (!v) return;
    // Other settings (e.g. maxBatch) are kept; empty timeout fields mean "the server's defaults".
    const { timeouts: _old, ...otherSettings } = existing?.settings ?? {};
    const timeouts: ChannelTimeouts = {};
    if (v.firstByteS) timeouts.firstByteMs = Math.round(v.firstByteS * 1000);
    if (v.idleS) timeouts.idleMs = Math.round(v.idleS * 1000);
    const settings = Object.keys(timeouts).length ? { ...otherSettings, timeouts } : otherSettings;
    const body = {
      provider: v.provider,
      name: v.name.trim(),
      baseUrl: v.baseUrl.trim(),
      models: splitList(v.models),
      modelMap: parseMap(v.modelMap),
      groups: splitList(v.groups),
      weight: v.weight,
      priority: v.priority,
      settings,
      // Sent only when changed: saving a channel the health check disabled must not turn it into
      // an admin's "off", which the probe would then never undo.
      ...(!existing || existing.enabled !== v.enabled ? { enabled: v.enabled } : {}),
      // Blank secret on edit keeps the stored one: the server never sends it back to show.
      ...(v.secret ? { secret: v.secret } : {}),
    };
    await run(async () => {
      if (existing) await admin.updateChannel(existing.id, body);
      else await admin.createChannel(body);
      onSaved();
    });
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
          <Select showSearch onChange={pickProvider} options={providers.map((p) => ({ value: p.kind, label: `${p.label} (${p.kind})` }))} data-testid="channel-provider" />
        </Form.Item>
        <Form.Item name="name" label={t('channels.name')} rules={[{ required: true, whitespace: true, message: t('channels.nameRequired') }, { max: 100 }]}>
          <Input data-testid="channel-name" />
        </Form.Item>
        <Form.Item name="baseUrl" label={t('channels.baseUrl')} extra={kind?.defaultBaseUrl ? tq('channels.baseUrlDefault') : undefined} rules={[{ required: true, message: t('channels.baseUrlRequired') }, { type: 'url', message: t('channels.baseUrlInvalid') }]}>
          <Input placeholder={kind?.defaultBaseUrl ?? 'http://127.0.0.1:11434/v1'} data-testid="channel-baseurl" />
        </Form.Item>
        <Form.Item name="secret" label={t('channels.secret')} extra={existing?.hasSecret ? t('channels.secretKeep') : undefined} rules={[{ required: needsSecret && !existing?.hasSecret, message: t('channels.secretRequired') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="models" label={t('channels.models')} extra={t('channels.modelsHelp')}>
          <Input.TextArea rows={3} placeholder={'gpt-4o-mini\ngpt-4o'} data-testid="channel-models" />
        </Form.Item>
        <Space orientation="vertical" size={8} style={{ width: '100%', marginTop: -8, marginBottom: 16 }}>
          <Tooltip title={kind && kind.listsModels === false ? tq('channels.noModelList') : tq('channels.fetchModelsHelp')}>
            <Button icon={<CloudDownloadOutlined />} loading={fetching} disabled={kind?.listsModels === false} onClick={fetchModels} data-testid="channel-fetch-models">
              {tq('channels.fetchModels')}
            </Button>
          </Tooltip>
          {fetched && 'error' in fetched && <Typography.Text type="danger" data-testid="channel-fetch-error">{tq('channels.fetchFailed', { message: fetched.error })}</Typography.Text>}
          {fetched && 'models' in fetched && (
            <>
              <Typography.Text type="secondary">{fetched.models.length ? tq('channels.fetchedCount', { n: fetched.models.length }) : tq('channels.fetchedNone')}</Typography.Text>
              {fetched.models.length > 0 && (
                // The picked names are the textarea's lines: picking here and typing there edit one list.
                <Select
                  mode="multiple"
                  allowClear
                  aria-label={tq('channels.fetchedModels')}
                  placeholder={tq('channels.fetchedModels')}
                  style={{ width: '100%' }}
                  value={splitList(typedModels).filter((m) => fetched.models.includes(m))}
                  onChange={(picked: string[]) => {
                    const others = splitList(form.getFieldValue('models')).filter((m) => !fetched.models.includes(m));
                    form.setFieldsValue({ models: [...others, ...picked].join('\n') });
                  }}
                  options={fetched.models.map((m) => ({ value: m, label: m }))}
                  data-testid="channel-fetched-models"
                />
              )}
            </>
          )}
        </Space>
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
          <Form.Item name="enabled" label={t('channels.enabledCol')} valuePropName="checked" extra={existing && !existing.enabled && existing.disabledBy === 'health' ? t('channels.disabledByHealth') : undefined}>
            <Switch />
          </Form.Item>
        </Space>
        <Space wrap size={16}>
          <Form.Item name="firstByteS" label={t('channels.firstByteTimeout')} extra={t('channels.firstByteTimeoutHelp')}>
            <InputNumber min={0.1} max={3600} step={1} suffix={t('channels.seconds')} placeholder={t('channels.serverDefault')} style={{ width: 200 }} data-testid="channel-first-byte" />
          </Form.Item>
          <Form.Item name="idleS" label={t('channels.idleTimeout')} extra={t('channels.idleTimeoutHelp')}>
            <InputNumber min={0.1} max={3600} step={1} suffix={t('channels.seconds')} placeholder={t('channels.serverDefault')} style={{ width: 200 }} data-testid="channel-idle" />
          </Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}
