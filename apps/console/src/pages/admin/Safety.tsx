import { useMemo, useState } from 'react';
import { App as AntApp, Button, Card, Checkbox, Col, Descriptions, Form, Input, InputNumber, Popconfirm, Row, Select, Space, Switch, Table, Tabs, Tag, Typography, Upload } from 'antd';
import { PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { safety, type Decisions, type PolicyInput, type RuleInput, type SafetyPolicy, type SafetyRule, type TestResult } from '../../api/safety';
import { actionTag, ruleName } from '../../components/CallDecisions';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { FormModal } from '../../components/FormModal';
import { useI18n, type MessageKey } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useAsync } from '../../lib/useAsync';

type Action = 'block' | 'mask' | 'flag';

/** Content safety for admins: rules (with word-file import), a text tester, policies per group and App, and the hits per rule. */
export default function Safety() {
  const { t } = useI18n();
  const rules = useAsync(() => safety.rules(), []);
  const items = rules.data?.items ?? [];
  return (
    <>
      <PageHeader title={t('safety.title')} subtitle={t('safety.subtitle')} />
      <ErrorAlert error={rules.error} />
      <Tabs
        items={[
          { key: 'rules', label: t('safety.tab.rules'), children: <Rules rules={items} loading={rules.loading} reload={rules.reload} /> },
          { key: 'test', label: t('safety.tab.test'), children: <Tester /> },
          { key: 'policies', label: t('safety.tab.policies'), children: <Policies rules={items} /> },
          { key: 'hits', label: t('safety.tab.hits'), children: <Hits rules={items} /> },
        ]}
      />
    </>
  );
}

type RuleForm = { name: string; kind: 'words' | 'regex'; action: Action; words: string; pattern: string; groups: string[]; directions: ('input' | 'output')[]; enabled: boolean };

function Rules({ rules, loading, reload }: { rules: SafetyRule[]; loading: boolean; reload: () => void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [editing, setEditing] = useState<SafetyRule | 'new' | null>(null);
  const [importing, setImporting] = useState<SafetyRule | null>(null);
  const [form] = Form.useForm<RuleForm>();
  const [importForm] = Form.useForm<{ replace: boolean }>();
  // The chosen file itself: its text is read on Save, so a Save clicked right after choosing cannot find it unread.
  const [file, setFile] = useState<File | null>(null);
  const action = useAction();
  const importAction = useAction();
  const rowAction = useAction();
  const kind = Form.useWatch('kind', form);

  const open = (r: SafetyRule | 'new') => {
    setEditing(r);
    form.setFieldsValue(
      r === 'new'
        ? { name: '', kind: 'words', action: 'block', words: '', pattern: '', groups: [], directions: ['input', 'output'], enabled: true }
        : { name: r.name, kind: r.kind, action: r.action, words: r.words.join('\n'), pattern: r.pattern ?? '', groups: r.groups, directions: r.directions, enabled: r.enabled },
    );
  };
  const submit = async (v: RuleForm) => {
    const body: RuleInput = {
      name: v.name,
      kind: v.kind,
      action: v.action,
      words: v.kind === 'words' ? v.words.split(/\r?\n/).map((w) => w.trim()).filter(Boolean) : [],
      pattern: v.kind === 'regex' ? v.pattern : null,
      groups: v.groups,
      directions: v.directions,
      enabled: v.enabled,
    };
    if (editing === 'new') await safety.create(body);
    else if (editing) await safety.update(editing.id, body);
    setEditing(null);
    message.success(t('common.saved'));
    reload();
  };
  const submitImport = async (v: { replace: boolean }) => {
    if (!importing) return;
    if (file === null) throw new Error(t('safety.importNoFile'));
    const r = await safety.importWords(importing.id, await file.text(), v.replace === true);
    message.success(t('safety.imported', { n: r.words.length }));
    setImporting(null);
    setFile(null);
    reload();
  };
  const change = (fn: () => Promise<unknown>) =>
    rowAction.run(async () => {
      await fn();
      reload();
    });

  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')} data-testid="safety-new-rule">
          {t('safety.newRule')}
        </Button>
      </Space>
      <ErrorAlert error={rowAction.error} />
      <Card size="small" styles={{ body: { padding: 0 } }}>
        <Table<SafetyRule>
          size="small"
          rowKey="id"
          loading={loading}
          dataSource={rules}
          pagination={false}
          scroll={{ x: 900 }}
          locale={{ emptyText: <EmptyHint text={t('safety.empty')} /> }}
          columns={[
            { title: t('safety.name'), dataIndex: 'name' },
            { title: t('safety.kind'), dataIndex: 'kind', width: 130, render: (k: string) => t(`safety.kind.${k}` as MessageKey) },
            { title: t('safety.action'), dataIndex: 'action', width: 100, render: (a: string) => actionTag(a, t) },
            { title: t('safety.words'), width: 200, render: (_: unknown, r) => (r.kind === 'words' ? t('safety.wordCount', { n: r.words.length }) : <Typography.Text code>{r.pattern}</Typography.Text>) },
            { title: t('safety.directions'), dataIndex: 'directions', width: 130, render: (d: string[]) => d.map((x) => t(`safety.direction.${x}` as MessageKey)).join(' / ') },
            { title: t('safety.groups'), dataIndex: 'groups', width: 150, render: (g: string[]) => (g.length ? g.map((x) => <Tag key={x}>{x}</Tag>) : t('safety.allGroups')) },
            { title: t('safety.enabled'), dataIndex: 'enabled', width: 80, render: (e: boolean, r) => <Switch size="small" checked={e} onChange={(on) => change(() => safety.update(r.id, { enabled: on }))} /> },
            {
              title: '',
              width: 250,
              render: (_: unknown, r) => (
                <Space size={4} wrap>
                  <Button size="small" onClick={() => open(r)}>
                    {t('common.edit')}
                  </Button>
                  {r.kind === 'words' && (
                    <Button size="small" icon={<UploadOutlined />} onClick={() => (setImporting(r), importForm.setFieldsValue({ replace: false }))}>
                      {t('safety.import')}
                    </Button>
                  )}
                  <Popconfirm title={t('safety.deleteConfirm')} onConfirm={() => change(() => safety.remove(r.id))}>
                    <Button size="small" danger>
                      {t('safety.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <FormModal form={form} action={action} onSubmit={submit} open={editing !== null} onCancel={() => setEditing(null)} title={editing === 'new' ? t('safety.newRule') : t('safety.editRule')} width={680}>
        <Form form={form} layout="vertical">
          <Row gutter={16}>
            <Col xs={24} sm={12}>
              <Form.Item name="name" label={t('safety.name')} rules={[{ required: true, whitespace: true, max: 100 }]}>
                <Input maxLength={100} />
              </Form.Item>
            </Col>
            <Col xs={12} sm={6}>
              <Form.Item name="kind" label={t('safety.kind')}>
                <Select options={(['words', 'regex'] as const).map((k) => ({ value: k, label: t(`safety.kind.${k}`) }))} />
              </Form.Item>
            </Col>
            <Col xs={12} sm={6}>
              <Form.Item name="action" label={t('safety.action')}>
                <Select options={(['block', 'mask', 'flag'] as const).map((a) => ({ value: a, label: t(`safety.action.${a}`) }))} />
              </Form.Item>
            </Col>
          </Row>
          {kind === 'regex' ? (
            <Form.Item name="pattern" label={t('safety.pattern')} extra={t('safety.patternHelp')} rules={[{ required: true, whitespace: true }]}>
              <Input />
            </Form.Item>
          ) : (
            <Form.Item name="words" label={t('safety.words')} extra={t('safety.wordsHelp')}>
              <Input.TextArea autoSize={{ minRows: 4, maxRows: 12 }} />
            </Form.Item>
          )}
          <Row gutter={16}>
            <Col xs={24} sm={12}>
              <Form.Item name="groups" label={t('safety.groups')} extra={t('safety.groupsHelp')}>
                <Select mode="tags" tokenSeparators={[',']} />
              </Form.Item>
            </Col>
            <Col xs={16} sm={8}>
              <Form.Item name="directions" label={t('safety.directions')} rules={[{ required: true, type: 'array', min: 1 }]}>
                <Checkbox.Group options={(['input', 'output'] as const).map((d) => ({ value: d, label: t(`safety.direction.${d}`) }))} />
              </Form.Item>
            </Col>
            <Col xs={8} sm={4}>
              <Form.Item name="enabled" label={t('safety.enabled')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Col>
          </Row>
        </Form>
      </FormModal>
      <FormModal form={importForm} action={importAction} onSubmit={submitImport} open={importing !== null} onCancel={() => (setImporting(null), setFile(null))} title={t('safety.importTitle', { name: importing?.name ?? '' })}>
        <Form form={importForm} layout="vertical">
          <Typography.Paragraph type="secondary">{t('safety.importHelp')}</Typography.Paragraph>
          <Form.Item>
            <Upload
              accept=".txt,.csv,text/plain"
              maxCount={1}
              beforeUpload={(f) => {
                setFile(f);
                return false;
              }}
              onRemove={() => setFile(null)}
            >
              <Button icon={<UploadOutlined />}>{t('safety.importFile')}</Button>
            </Upload>
          </Form.Item>
          <Form.Item name="replace" valuePropName="checked">
            <Checkbox>{t('safety.importReplace')}</Checkbox>
          </Form.Item>
        </Form>
      </FormModal>
    </>
  );
}

function Tester() {
  const { t } = useI18n();
  const [result, setResult] = useState<TestResult | null>(null);
  const action = useAction();
  const [form] = Form.useForm<{ text: string; group?: string; direction: 'input' | 'output' }>();
  const run = () =>
    action.run(async () => {
      const v = await form.validateFields();
      setResult(await safety.test({ text: v.text, group: v.group?.trim() || undefined, direction: v.direction }));
    });
  return (
    <Card size="small">
      <Form form={form} layout="vertical" initialValues={{ direction: 'input' }}>
        <Form.Item name="text" label={t('safety.testText')} rules={[{ required: true }]}>
          <Input.TextArea autoSize={{ minRows: 3, maxRows: 10 }} data-testid="safety-test-text" />
        </Form.Item>
        <Row gutter={16}>
          <Col xs={24} sm={10}>
            <Form.Item name="group" label={t('safety.testGroup')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item name="direction" label={t('safety.testDirection')}>
              <Select options={(['input', 'output'] as const).map((d) => ({ value: d, label: t(`safety.direction.${d}`) }))} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={6} style={{ display: 'flex', alignItems: 'flex-end', paddingBottom: 24 }}>
            <Button type="primary" onClick={run} loading={action.busy} data-testid="safety-test-run">
              {t('safety.run')}
            </Button>
          </Col>
        </Row>
      </Form>
      <ErrorAlert error={action.error} />
      {result && (
        <Descriptions bordered size="small" column={1} data-testid="safety-test-result">
          <Descriptions.Item label={t('safety.result')}>{result.action ? actionTag(result.action, t) : t('safety.verdict.none')}</Descriptions.Item>
          <Descriptions.Item label={t('safety.masked')}>
            <Typography.Text>{result.masked}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('safety.hits')}>
            {result.hits.length === 0
              ? t('safety.none')
              : result.hits.map((h, i) => (
                  <div key={i}>
                    {actionTag(h.action, t)} {h.ruleName} <Typography.Text type="secondary">[{h.start}, {h.end})</Typography.Text>
                  </div>
                ))}
          </Descriptions.Item>
        </Descriptions>
      )}
    </Card>
  );
}

type PolicyForm = { scope: 'group' | 'app'; target: string; ruleIds: string[]; overrides: { ruleId: string; action: Action }[]; moderationOn: boolean; model: string; thresholds: string; modAction: 'block' | 'flag'; timeoutMs: number; failMode: 'open' | 'closed'; modDirections: ('input' | 'output')[] };

function Policies({ rules }: { rules: SafetyRule[] }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const list = useAsync(() => safety.policies(), []);
  const [editing, setEditing] = useState<SafetyPolicy | 'new' | null>(null);
  const [form] = Form.useForm<PolicyForm>();
  const action = useAction();
  const rowAction = useAction();
  const moderationOn = Form.useWatch('moderationOn', form);
  const ruleOptions = useMemo(() => rules.map((r) => ({ value: r.id, label: r.name })), [rules]);

  const open = (p: SafetyPolicy | 'new') => {
    setEditing(p);
    const m = p === 'new' ? null : p.moderation;
    form.setFieldsValue({
      scope: p === 'new' ? 'group' : p.scope,
      target: p === 'new' ? '' : p.target,
      ruleIds: p === 'new' ? [] : (p.ruleIds ?? []),
      overrides: p === 'new' ? [] : Object.entries(p.actions).map(([ruleId, a]) => ({ ruleId, action: a as Action })),
      moderationOn: m !== null,
      model: m?.model ?? 'omni-moderation-latest',
      thresholds: m ? Object.entries(m.thresholds).map(([c, v]) => `${c}=${v}`).join('\n') : '',
      modAction: m?.action ?? 'block',
      timeoutMs: m?.timeoutMs ?? 3000,
      failMode: m?.failMode ?? 'open',
      modDirections: m?.directions ?? ['input'],
    });
  };
  const submit = async (v: PolicyForm) => {
    const thresholds = Object.fromEntries(
      (v.thresholds ?? '')
        .split(/\r?\n|,/)
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => {
          const [c, s] = l.split('=');
          return [c.trim(), Number(s)];
        }),
    );
    const body: PolicyInput = {
      scope: v.scope,
      target: v.target.trim(),
      // Fields not shown (the moderation settings while it is off) are absent from the values.
      ruleIds: v.ruleIds?.length ? v.ruleIds : null,
      actions: Object.fromEntries((v.overrides ?? []).filter((o) => o?.ruleId).map((o) => [o.ruleId, o.action])),
      moderation: v.moderationOn ? { model: v.model.trim(), thresholds, action: v.modAction, timeoutMs: v.timeoutMs, failMode: v.failMode, directions: v.modDirections } : null,
    };
    await safety.putPolicy(body);
    setEditing(null);
    message.success(t('common.saved'));
    list.reload();
  };

  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')}>
          {t('safety.newPolicy')}
        </Button>
      </Space>
      <ErrorAlert error={list.error ?? rowAction.error} />
      <Card size="small" styles={{ body: { padding: 0 } }}>
        <Table<SafetyPolicy>
          size="small"
          rowKey="id"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          scroll={{ x: 900 }}
          locale={{ emptyText: <EmptyHint text={t('safety.policiesEmpty')} /> }}
          columns={[
            { title: t('safety.scope'), dataIndex: 'scope', width: 110, render: (s: string) => t(`safety.scope.${s}` as MessageKey) },
            { title: t('safety.target'), dataIndex: 'target' },
            { title: t('safety.policyRules'), render: (_: unknown, p) => (p.ruleIds ? p.ruleIds.map((id) => <Tag key={id}>{ruleName(id, rules, t)}</Tag>) : t('safety.rulesByGroups')) },
            {
              title: t('safety.actions'),
              render: (_: unknown, p) =>
                Object.entries(p.actions).length
                  ? Object.entries(p.actions).map(([id, a]) => (
                      <span key={id}>
                        {ruleName(id, rules, t)} {actionTag(a, t)}
                      </span>
                    ))
                  : t('safety.none'),
            },
            {
              title: t('safety.moderation'),
              render: (_: unknown, p) =>
                p.moderation
                  ? `${p.moderation.model} · ${(p.moderation.directions ?? ['input']).map((d) => t(`safety.direction.${d}` as MessageKey)).join(' / ')} · ${t(`safety.failMode.${p.moderation.failMode}` as MessageKey)}`
                  : t('safety.none'),
            },
            {
              title: '',
              width: 160,
              render: (_: unknown, p) => (
                <Space size={4}>
                  <Button size="small" onClick={() => open(p)}>
                    {t('common.edit')}
                  </Button>
                  <Popconfirm title={t('safety.policyDeleteConfirm')} onConfirm={() => rowAction.run(async () => (await safety.removePolicy(p.id), list.reload()))}>
                    <Button size="small" danger>
                      {t('safety.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <FormModal form={form} action={action} onSubmit={submit} open={editing !== null} onCancel={() => setEditing(null)} title={editing === 'new' ? t('safety.newPolicy') : t('safety.editPolicy')} width={720}>
        <Form form={form} layout="vertical">
          <Row gutter={16}>
            <Col xs={24} sm={8}>
              <Form.Item name="scope" label={t('safety.scope')}>
                <Select disabled={editing !== 'new'} options={(['group', 'app'] as const).map((s) => ({ value: s, label: t(`safety.scope.${s}`) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} sm={16}>
              <Form.Item name="target" label={t('safety.target')} rules={[{ required: true, whitespace: true, max: 100 }]}>
                <Input disabled={editing !== 'new'} maxLength={100} />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="ruleIds" label={t('safety.policyRules')} extra={t('safety.policyRulesHelp')}>
            <Select mode="multiple" options={ruleOptions} />
          </Form.Item>
          <Form.Item label={t('safety.actions')} extra={t('safety.actionsHelp')}>
            <Form.List name="overrides">
              {(fields, { add, remove }) => (
                <>
                  {fields.map((f) => (
                    <Space key={f.key} align="baseline" style={{ display: 'flex' }}>
                      <Form.Item name={[f.name, 'ruleId']} rules={[{ required: true }]}>
                        <Select style={{ width: 240 }} options={ruleOptions} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'action']} rules={[{ required: true }]}>
                        <Select style={{ width: 140 }} options={(['block', 'mask', 'flag'] as const).map((a) => ({ value: a, label: t(`safety.action.${a}`) }))} />
                      </Form.Item>
                      <Button size="small" onClick={() => remove(f.name)}>
                        {t('safety.delete')}
                      </Button>
                    </Space>
                  ))}
                  <Button size="small" icon={<PlusOutlined />} onClick={() => add({ action: 'flag' })}>
                    {t('safety.actions')}
                  </Button>
                </>
              )}
            </Form.List>
          </Form.Item>
          <Form.Item name="moderationOn" valuePropName="checked">
            <Checkbox>{t('safety.moderationOn')}</Checkbox>
          </Form.Item>
          {moderationOn && (
            <Row gutter={16}>
              <Col xs={24} sm={12}>
                <Form.Item name="model" label={t('safety.moderationModel')} rules={[{ required: true, whitespace: true }]}>
                  <Input />
                </Form.Item>
                <Form.Item name="thresholds" label={t('safety.thresholds')} extra={t('safety.thresholdsHelp')}>
                  <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />
                </Form.Item>
              </Col>
              <Col xs={24} sm={12}>
                <Form.Item name="modAction" label={t('safety.moderationAction')}>
                  <Select options={(['block', 'flag'] as const).map((a) => ({ value: a, label: t(`safety.action.${a}`) }))} />
                </Form.Item>
                <Form.Item name="timeoutMs" label={t('safety.timeoutMs')}>
                  <InputNumber min={50} max={60000} style={{ width: '100%' }} />
                </Form.Item>
                <Form.Item name="failMode" label={t('safety.failMode')}>
                  <Select options={(['open', 'closed'] as const).map((f) => ({ value: f, label: t(`safety.failMode.${f}`) }))} />
                </Form.Item>
                <Form.Item name="modDirections" label={t('safety.moderationDirections')} extra={t('safety.moderationDirectionsHelp')} rules={[{ required: true, type: 'array', min: 1 }]}>
                  <Checkbox.Group options={(['input', 'output'] as const).map((d) => ({ value: d, label: t(`safety.direction.${d}`) }))} />
                </Form.Item>
              </Col>
            </Row>
          )}
        </Form>
      </FormModal>
    </>
  );
}

function Hits({ rules }: { rules: SafetyRule[] }) {
  const { t, locale } = useI18n();
  const data = useAsync(() => safety.decisions(100), []);
  type Count = Decisions['counts'][number];
  type Item = Decisions['items'][number];
  return (
    <>
      <ErrorAlert error={data.error} />
      <Row gutter={16}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t('safety.count')} styles={{ body: { padding: 0 } }}>
            <Table<Count>
              size="small"
              rowKey={(c) => `${c.ruleId}/${c.action}/${c.direction}`}
              loading={data.loading}
              dataSource={[...(data.data?.counts ?? [])].sort((a, b) => b.count - a.count)}
              pagination={false}
              locale={{ emptyText: <EmptyHint text={t('safety.hitsEmpty')} /> }}
              data-testid="safety-counts"
              columns={[
                { title: t('safety.rule'), dataIndex: 'ruleId', render: (id: string) => ruleName(id, rules, t) },
                { title: t('safety.action'), dataIndex: 'action', width: 90, render: (a: string) => actionTag(a, t) },
                { title: t('safety.directions'), dataIndex: 'direction', width: 80, render: (d: string) => t(`safety.direction.${d}` as MessageKey) },
                { title: t('safety.count'), dataIndex: 'count', width: 90, align: 'right' },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card size="small" title={t('safety.recent')} styles={{ body: { padding: 0 } }}>
            <Table<Item>
              size="small"
              rowKey="id"
              loading={data.loading}
              dataSource={data.data?.items ?? []}
              pagination={{ pageSize: 20, hideOnSinglePage: true }}
              scroll={{ x: 640 }}
              locale={{ emptyText: <EmptyHint text={t('safety.hitsEmpty')} /> }}
              columns={[
                { title: t('safety.time'), dataIndex: 'createdAt', width: 170, render: (v: number) => dateTime(v, locale) },
                { title: t('safety.rule'), dataIndex: 'ruleId', render: (id: string) => ruleName(id, rules, t) },
                { title: t('safety.action'), dataIndex: 'action', width: 90, render: (a: string) => actionTag(a, t) },
                { title: t('safety.directions'), dataIndex: 'direction', width: 80, render: (d: string) => t(`safety.direction.${d}` as MessageKey) },
                { title: t('safety.requestId'), dataIndex: 'requestId', render: (r: string) => <Typography.Text code>{r}</Typography.Text> },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}
