import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Button, Card, Descriptions, Flex, Input, Skeleton, Tag, Typography } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import type { TicketThread } from '../api/support';
import { useI18n } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { dateTime } from '../lib/format';
import { useAction } from '../lib/useAction';
import { useAsync } from '../lib/useAsync';
import { ErrorAlert } from './ErrorAlert';
import { TicketStatusTag } from './TicketStatusTag';

interface Props {
  id: string;
  side: 'user' | 'admin';
  load(id: string): Promise<TicketThread>;
  reply(id: string, body: string): Promise<unknown>;
  close(id: string): Promise<unknown>;
  backTo: string;
  /** Told after a change, so the menu's unread badge can refresh. */
  onChange?(): void;
}

/** One ticket's thread, for the user and for admins: the messages, the call it is about, reply and close. */
export function TicketThreadView({ id, side, load, reply, close, backTo, onChange }: Props) {
  const { t, locale } = useI18n();
  const thread = useAsync(() => load(id), [id]);
  const [text, setText] = useState('');
  const action = useAction();
  const th = thread.data;

  const send = () =>
    action.run(async () => {
      await reply(id, text);
      setText('');
      thread.reload();
      onChange?.();
    });
  const doClose = () =>
    action.run(async () => {
      await close(id);
      thread.reload();
      onChange?.();
    });

  const who = (author: 'user' | 'admin') => (author === side ? t('support.you') : author === 'admin' ? t('support.staff') : t('support.customer'));

  return (
    <>
      <PageHeader
        title={th ? th.ticket.subject : t('support.title')}
        subtitle={th && <TicketStatusTag status={th.ticket.status} side={side} />}
        extra={
          <Link to={backTo}>
            <ArrowLeftOutlined /> {t('support.back')}
          </Link>
        }
      />
      <ErrorAlert error={thread.error} />
      {!th && thread.loading && <Skeleton active />}
      {th && (
        <Flex vertical gap={16}>
          {th.ticket.requestId && (
            <Card size="small" title={t('support.request')} data-testid="ticket-request">
              {th.request ? (
                <Descriptions size="small" column={{ xs: 1, md: 3 }}>
                  <Descriptions.Item label="ID">
                    <Typography.Text code copyable>
                      {th.request.id}
                    </Typography.Text>
                  </Descriptions.Item>
                  <Descriptions.Item label={t('common.model')}>{th.request.model ?? '—'}</Descriptions.Item>
                  <Descriptions.Item label={t('common.status')}>
                    <Tag color={th.request.status >= 400 ? 'red' : 'green'}>{t('support.callStatus', { status: th.request.status })}</Tag>
                  </Descriptions.Item>
                  <Descriptions.Item label="Endpoint">{th.request.endpoint}</Descriptions.Item>
                  <Descriptions.Item label={t('recharge.time')}>{dateTime(th.request.createdAt, locale)}</Descriptions.Item>
                  {th.request.errorMessage && (
                    <Descriptions.Item label={th.request.errorCode ?? 'error'} span={3}>
                      <Typography.Text type="danger">{th.request.errorMessage}</Typography.Text>
                    </Descriptions.Item>
                  )}
                </Descriptions>
              ) : (
                <Typography.Text type="secondary">
                  {th.ticket.requestId} — {t('support.callMissing')}
                </Typography.Text>
              )}
            </Card>
          )}
          {th.messages.map((m) => (
            <Card
              key={m.id}
              size="small"
              data-testid={`ticket-message-${m.author}`}
              style={{ marginInlineStart: m.author === side ? 'auto' : 0, maxWidth: 760, width: '100%', background: m.author === 'admin' ? '#f0f7ff' : undefined }}
              title={
                <Flex justify="space-between" wrap gap={8}>
                  <Typography.Text strong>{who(m.author)}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontWeight: 'normal' }}>
                    {dateTime(m.createdAt, locale)}
                  </Typography.Text>
                </Flex>
              }
            >
              <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', marginBottom: 0 }}>{m.body}</Typography.Paragraph>
            </Card>
          ))}
          {th.ticket.status === 'closed' && <Alert type="info" showIcon title={t('support.closed')} />}
          <Card size="small">
            <Flex vertical gap={8}>
              <Input.TextArea aria-label={t('support.reply')} value={text} onChange={(e) => setText(e.target.value)} placeholder={t('support.replyPlaceholder')} autoSize={{ minRows: 3, maxRows: 12 }} maxLength={10000} />
              <ErrorAlert error={action.error} />
              <Flex gap={8} justify="flex-end" wrap>
                {th.ticket.status !== 'closed' && (
                  <Button onClick={doClose} disabled={action.busy}>
                    {t('support.close')}
                  </Button>
                )}
                <Button type="primary" onClick={send} loading={action.busy} disabled={!text.trim()}>
                  {t('support.reply')}
                </Button>
              </Flex>
            </Flex>
          </Card>
        </Flex>
      )}
    </>
  );
}
