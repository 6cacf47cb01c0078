import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Card, Col, Drawer, Flex, Grid, Input, InputNumber, List, Popconfirm, Row, Select, Slider, Space, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, MessageOutlined, PlusOutlined, ReloadOutlined, SendOutlined, SettingOutlined, StopOutlined } from '@ant-design/icons';
import { Link } from 'react-router-dom';
import { usage } from '../../api/endpoints';
import { ApiError } from '../../api/client';
import { useSession } from '../../auth/session';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { Markdown } from '../../components/Markdown';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { money, num } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { modelsFor } from '../../lib/capabilities';
import { loadConversations, newConversation, saveConversations, titleFrom, type Conversation, type Turn } from './conversations';
import { costOf, streamChat, type ChatMessage, type ChatParams } from './relay';

/** "AIGC Chat": a streamed, multi-turn chat billed to the user's Playground app. */
export default function Chat() {
  const { t } = useI18n();
  const { user } = useSession();
  const userId = user!.id;
  const screens = Grid.useBreakpoint();
  const models = useAsync(() => usage.models(), []);
  const chatModels = useMemo(() => modelsFor(models.data?.items, 'chat'), [models.data]);

  const [list, setList] = useState<Conversation[]>(() => loadConversations(userId));
  const [currentId, setCurrentId] = useState<string | null>(() => list[0]?.id ?? null);
  const [input, setInput] = useState('');
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState<unknown>();
  const [historyOpen, setHistoryOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  /** The user turn being edited, by index. */
  const [editing, setEditing] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);
  const bottom = useRef<HTMLDivElement>(null);

  const current = list.find((c) => c.id === currentId) ?? null;
  const model = current?.model || chatModels[0] || '';

  useEffect(() => {
    saveConversations(userId, list);
  }, [userId, list]);
  useEffect(() => {
    bottom.current?.scrollIntoView({ block: 'end' });
  }, [current?.turns]);
  // Leaving the page stops a running answer instead of letting it stream into nothing.
  useEffect(() => () => abort.current?.abort(), []);

  function update(id: string, fn: (c: Conversation) => Conversation) {
    setList((l) => l.map((c) => (c.id === id ? { ...fn(c), updatedAt: Date.now() } : c)));
  }

  function startNew() {
    const c = newConversation(model, current ?? undefined);
    setList((l) => [c, ...l]);
    setCurrentId(c.id);
    setHistoryOpen(false);
  }

  /**
   * Asks `text` after `before` (the turns kept): a new message (after every turn), a regenerated
   * answer (after the turns before the last question), or an edited question (after the turns
   * before it; what followed is dropped, as the conversation now goes another way).
   */
  async function ask(text: string, before: (c: Conversation) => Turn[]) {
    if (!text || streaming || !model) return;
    let conv = current;
    if (!conv) {
      conv = newConversation(model);
      setList((l) => [conv!, ...l]);
      setCurrentId(conv.id);
    }
    const id = conv.id;
    const kept = before(conv);
    const history: ChatMessage[] = [
      ...(conv.system.trim() ? [{ role: 'system' as const, content: conv.system.trim() }] : []),
      // Failed or stopped-empty answers are not sent back: the model never said them.
      ...kept.filter((x) => !x.error && x.content).map(({ role, content }) => ({ role, content })),
      { role: 'user', content: text },
    ];
    const userTurn: Turn = { role: 'user', content: text };
    const answer: Turn = { role: 'assistant', content: '', model };
    setList((l) => l.map((c) => (c.id === id ? { ...c, model, title: c.title || titleFrom(text), turns: [...kept, userTurn, answer], updatedAt: Date.now() } : c)));
    setError(undefined);
    setStreaming(true);
    const ctrl = new AbortController();
    abort.current = ctrl;
    const patchLast = (p: Partial<Turn> | ((x: Turn) => Partial<Turn>)) =>
      update(id, (c) => {
        const turns = [...c.turns];
        const last = turns[turns.length - 1];
        turns[turns.length - 1] = { ...last, ...(typeof p === 'function' ? p(last) : p) };
        return { ...c, turns };
      });
    try {
      const r = await streamChat({ model, messages: history, ...conv.params }, (d) => patchLast((x) => ({ content: x.content + d })), ctrl.signal);
      patchLast({ usage: r.usage, ...(r.model ? { model: r.model } : {}) });
      const cost = await costOf(r.requestId);
      patchLast({ cost });
    } catch (e) {
      if ((e as Error).name === 'AbortError') patchLast({ stopped: true });
      else {
        patchLast({ error: errorText(t, e) });
        setError(e);
      }
    } finally {
      setStreaming(false);
      abort.current = null;
    }
  }

  function send() {
    const text = input.trim();
    if (!text || streaming || !model) return;
    setInput('');
    void ask(text, (c) => c.turns);
  }

  /** The last answer again (with the model now picked): the question is asked anew after the turns before it. */
  function regenerate() {
    const turns = current?.turns ?? [];
    const q = turns.map((x) => x.role).lastIndexOf('user');
    if (q < 0) return;
    void ask(turns[q].content, (c) => c.turns.slice(0, q));
  }

  /** An earlier question changed: asked again from there; the turns after it are replaced by the new answer. */
  function resend(index: number, text: string) {
    setEditing(null);
    void ask(text.trim(), (c) => c.turns.slice(0, index));
  }

  const history = (
    <Flex vertical gap={8}>
      <Button icon={<PlusOutlined />} onClick={startNew} block>
        {t('chat.new')}
      </Button>
      <List
        size="small"
        dataSource={list}
        locale={{ emptyText: t('chat.noHistory') }}
        renderItem={(c) => (
          <List.Item
            style={{ cursor: 'pointer', background: c.id === currentId ? '#e6f4ff' : undefined, borderRadius: 6, paddingInline: 8 }}
            onClick={() => {
              setCurrentId(c.id);
              setHistoryOpen(false);
            }}
            actions={[
              <Popconfirm key="d" title={t('chat.deleteConfirm')} onConfirm={() => setList((l) => l.filter((x) => x.id !== c.id))}>
                <Button size="small" type="text" icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={(e) => e.stopPropagation()} />
              </Popconfirm>,
            ]}
          >
            <Typography.Text ellipsis style={{ maxWidth: 150 }}>
              <MessageOutlined /> {c.title || t('chat.untitled')}
            </Typography.Text>
          </List.Item>
        )}
      />
    </Flex>
  );

  const settings = current ? (
    <ChatSettings
      system={current.system}
      params={current.params}
      onChange={(system, params) => update(current.id, (c) => ({ ...c, system, params }))}
      disabled={streaming}
    />
  ) : (
    <Typography.Text type="secondary">{t('chat.settingsAfterStart')}</Typography.Text>
  );

  return (
    <>
      <PageHeader
        title={t('chat.title')}
        subtitle={t('chat.subtitle')}
        extra={
          <>
            <Select
              style={{ minWidth: 200 }}
              value={model || undefined}
              placeholder={t('chat.pickModel')}
              aria-label={t('common.model')}
              loading={models.loading}
              options={chatModels.map((m) => ({ value: m, label: m }))}
              onChange={(m) => (current ? update(current.id, (c) => ({ ...c, model: m })) : startNewWith(m))}
              data-testid="chat-model"
            />
            {!screens.lg && <Button icon={<MessageOutlined />} onClick={() => setHistoryOpen(true)}>{t('chat.history')}</Button>}
            <Button icon={<SettingOutlined />} onClick={() => setSettingsOpen(true)}>
              {t('chat.settings')}
            </Button>
          </>
        }
      />
      <ErrorAlert error={models.error} style={{ marginBottom: 12 }} />
      {!models.loading && !chatModels.length && !models.error && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('chat.noModels')} />}
      <Row gutter={16}>
        {screens.lg && (
          <Col lg={6} xl={5}>
            <Card size="small" styles={{ body: { maxHeight: 'calc(100vh - 220px)', overflowY: 'auto' } }}>{history}</Card>
          </Col>
        )}
        <Col xs={24} lg={18} xl={19}>
          <Card size="small" styles={{ body: { display: 'flex', flexDirection: 'column', height: screens.md ? 'calc(100vh - 220px)' : 'calc(100vh - 200px)', minHeight: 360 } }}>
            <div className="chat-scroll" style={{ flex: 1, paddingRight: 4 }} data-testid="chat-messages">
              {!current?.turns.length ? (
                <EmptyHint text={t('chat.empty')} />
              ) : (
                current.turns.map((turn, i) => (
                  <TurnView
                    key={i}
                    turn={turn}
                    live={streaming && i === current.turns.length - 1}
                    busy={streaming}
                    last={i === current.turns.length - 1}
                    editing={editing === i}
                    onEdit={() => setEditing(i)}
                    onCancelEdit={() => setEditing(null)}
                    onResend={(text) => resend(i, text)}
                    onRegenerate={regenerate}
                  />
                ))
              )}
              <div ref={bottom} />
            </div>
            {error instanceof ApiError && error.code === 'insufficient_quota' && (
              <Alert type="warning" showIcon style={{ marginTop: 8 }} title={errorText(t, error)} action={<Link to="/topup">{t('nav.topup')}</Link>} />
            )}
            <Flex gap={8} style={{ marginTop: 12 }} align="flex-end">
              <Input.TextArea
                value={input}
                onChange={(e) => setInput(e.target.value)}
                autoSize={{ minRows: 1, maxRows: 6 }}
                placeholder={t('chat.placeholder')}
                aria-label={t('chat.placeholder')}
                onKeyDown={(e) => {
                  // Enter sends, Shift+Enter breaks the line; IME composition (Chinese input) must not send.
                  if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
                    e.preventDefault();
                    send();
                  }
                }}
                data-testid="chat-input"
              />
              {streaming ? (
                <Button danger icon={<StopOutlined />} onClick={() => abort.current?.abort()} data-testid="chat-stop">
                  {t('chat.stop')}
                </Button>
              ) : (
                <Button type="primary" icon={<SendOutlined />} onClick={send} disabled={!input.trim() || !model} data-testid="chat-send">
                  {t('chat.send')}
                </Button>
              )}
            </Flex>
          </Card>
        </Col>
      </Row>
      <Drawer open={historyOpen} onClose={() => setHistoryOpen(false)} placement="left" title={t('chat.history')} size={280}>
        {history}
      </Drawer>
      <Drawer open={settingsOpen} onClose={() => setSettingsOpen(false)} title={t('chat.settings')} size={screens.md ? 380 : '100%'}>
        {settings}
      </Drawer>
    </>
  );

  function startNewWith(m: string) {
    const c = newConversation(m);
    setList((l) => [c, ...l]);
    setCurrentId(c.id);
  }
}

interface TurnProps {
  turn: Turn;
  live: boolean;
  /** An answer is streaming: no edit or regenerate meanwhile. */
  busy: boolean;
  last: boolean;
  editing: boolean;
  onEdit(): void;
  onCancelEdit(): void;
  onResend(text: string): void;
  onRegenerate(): void;
}

function TurnView({ turn, live, busy, last, editing, onEdit, onCancelEdit, onResend, onRegenerate }: TurnProps) {
  const { t } = useI18n();
  const mine = turn.role === 'user';
  const [draft, setDraft] = useState(turn.content);
  useEffect(() => {
    if (editing) setDraft(turn.content);
  }, [editing, turn.content]);
  if (mine && editing)
    return (
      <Flex vertical gap={8} style={{ marginBottom: 12, marginLeft: '15%' }} data-testid="turn-edit">
        <Input.TextArea value={draft} onChange={(e) => setDraft(e.target.value)} autoSize={{ minRows: 2, maxRows: 8 }} aria-label={t('chat.editMessage')} data-testid="turn-edit-input" />
        <Space style={{ alignSelf: 'flex-end' }}>
          <Button onClick={onCancelEdit}>{t('chat.editCancel')}</Button>
          <Button type="primary" icon={<SendOutlined />} disabled={!draft.trim()} onClick={() => onResend(draft)} data-testid="turn-edit-send">
            {t('chat.editSend')}
          </Button>
        </Space>
      </Flex>
    );
  return (
    <Flex vertical align={mine ? 'flex-end' : 'flex-start'} style={{ marginBottom: 12 }}>
      <div
        style={{ maxWidth: mine ? '85%' : '100%', minWidth: 0, background: mine ? '#1677ff' : '#f6f8fa', color: mine ? '#fff' : undefined, borderRadius: 12, padding: '8px 12px' }}
        data-testid={mine ? 'turn-user' : 'turn-assistant'}
      >
        {mine ? <div style={{ whiteSpace: 'pre-wrap' }}>{turn.content}</div> : turn.content ? <Markdown text={turn.content} /> : live ? <Typography.Text type="secondary">{t('chat.thinking')}</Typography.Text> : null}
        {!mine && (turn.model || turn.usage || turn.error || turn.stopped) && (
          <Space size={4} wrap style={{ marginTop: 6 }}>
            {turn.model && (
              <Tag color="geekblue" data-testid="turn-model" title={t('chat.answeredBy')}>
                {turn.model}
              </Tag>
            )}
            {turn.stopped && <Tag>{t('chat.stopped')}</Tag>}
            {turn.error && <Tag color="red">{turn.error}</Tag>}
            {turn.usage && (
              <Tag data-testid="turn-usage">
                {t('chat.tokens', { in: num(turn.usage.prompt_tokens), out: num(turn.usage.completion_tokens) })}
              </Tag>
            )}
            {typeof turn.cost === 'number' && <Tag color="blue" data-testid="turn-cost">{money(turn.cost)}</Tag>}
          </Space>
        )}
      </div>
      {!busy && mine && (
        <Button size="small" type="text" icon={<EditOutlined />} onClick={onEdit} data-testid="turn-edit-button">
          {t('chat.edit')}
        </Button>
      )}
      {!busy && !mine && last && (
        <Button size="small" type="text" icon={<ReloadOutlined />} onClick={onRegenerate} data-testid="turn-regenerate">
          {t('chat.regenerate')}
        </Button>
      )}
    </Flex>
  );
}

/** System prompt and sampling parameters, stored with the conversation. */
function ChatSettings({ system, params, onChange, disabled }: { system: string; params: ChatParams; onChange(s: string, p: ChatParams): void; disabled: boolean }) {
  const { t } = useI18n();
  const set = (p: Partial<ChatParams>) => onChange(system, { ...params, ...p });
  return (
    <Flex vertical gap={16}>
      <div>
        <Typography.Text strong>{t('chat.system')}</Typography.Text>
        <Input.TextArea rows={5} value={system} disabled={disabled} onChange={(e) => onChange(e.target.value, params)} placeholder={t('chat.systemPlaceholder')} data-testid="chat-system" />
      </div>
      <div>
        <Typography.Text strong>{t('chat.temperature')}: {params.temperature ?? 1}</Typography.Text>
        <Slider min={0} max={2} step={0.1} value={params.temperature ?? 1} disabled={disabled} onChange={(v) => set({ temperature: v })} />
      </div>
      <div>
        <Typography.Text strong>{t('chat.topP')}: {params.top_p ?? 1}</Typography.Text>
        <Slider min={0} max={1} step={0.05} value={params.top_p ?? 1} disabled={disabled} onChange={(v) => set({ top_p: v })} />
      </div>
      <div>
        <Typography.Text strong>{t('chat.maxTokens')}</Typography.Text>
        <InputNumber min={1} max={200000} precision={0} style={{ width: '100%' }} value={params.max_tokens} placeholder={t('chat.modelDefault')} disabled={disabled} onChange={(v) => set({ max_tokens: v ?? undefined })} />
      </div>
      <div>
        <Typography.Text strong>{t('chat.presencePenalty')}: {params.presence_penalty ?? 0}</Typography.Text>
        <Slider min={-2} max={2} step={0.1} value={params.presence_penalty ?? 0} disabled={disabled} onChange={(v) => set({ presence_penalty: v })} />
      </div>
      <div>
        <Typography.Text strong>{t('chat.frequencyPenalty')}: {params.frequency_penalty ?? 0}</Typography.Text>
        <Slider min={-2} max={2} step={0.1} value={params.frequency_penalty ?? 0} disabled={disabled} onChange={(v) => set({ frequency_penalty: v })} />
      </div>
    </Flex>
  );
}
