import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, Badge, Button, Card, Flex, Form, Input, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { support, type Ticket } from '../../api/support';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TicketStatusTag } from '../../components/TicketStatusTag';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useAsync } from '../../lib/useAsync';

/**
 * The user's tickets and the form to open one. Opened from a failed call of the request log
 * (`?requestId=…&model=…`), the form comes up with that call attached and a subject filled in.
 */
export default function Tickets() {
  const { t, locale } = useI18n();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const requestId = params.get('requestId') ?? undefined;
  const [writing, setWriting] = useState(Boolean(requestId));
  const [page, setPage] = useState({ current: 1, size: 20 });
  const list = useAsync(() => support.tickets({ limit: page.size, offset: (page.current - 1) * page.size }), [page]);
  const action = useAction();

  const submit = (v: { subject: string; body: string }) =>
    action.run(async () => {
      const ticket = await support.open({ subject: v.subject, body: v.body, ...(requestId ? { requestId } : {}) });
      navigate(`/support/${ticket.id}`);
    });

  return (
    <>
      <PageHeader
        title={t('support.title')}
        subtitle={t('support.subtitle')}
        extra={
          !writing && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setWriting(true)}>
              {t('support.new')}
            </Button>
          )
        }
      />
      {writing && (
        <Card title={t('support.new')} style={{ marginBottom: 16 }}>
          {requestId && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={`${t('support.request')}: ${requestId}`} description={t('support.requestHint')} data-testid="ticket-attached" />}
          <Form layout="vertical" onFinish={submit} initialValues={{ subject: requestId ? t('support.defaultSubject', { model: params.get('model') || requestId }) : '' }}>
            <Form.Item name="subject" label={t('support.subject')} rules={[{ required: true, whitespace: true, max: 200 }]}>
              <Input maxLength={200} />
            </Form.Item>
            <Form.Item name="body" label={t('support.message')} rules={[{ required: true, whitespace: true, max: 10000 }]}>
              <Input.TextArea autoSize={{ minRows: 4, maxRows: 14 }} placeholder={t('support.messagePlaceholder')} maxLength={10000} />
            </Form.Item>
            <ErrorAlert error={action.error} style={{ marginBottom: 16 }} />
            <Flex gap={8} justify="flex-end">
              <Button onClick={() => setWriting(false)}>{t('support.cancel')}</Button>
              <Button type="primary" htmlType="submit" loading={action.busy}>
                {t('support.submit')}
              </Button>
            </Flex>
          </Form>
        </Card>
      )}
      <ErrorAlert error={list.error} />
      <Card size="small" styles={{ body: { padding: 0 } }}>
        <Table<Ticket>
          size="small"
          rowKey="id"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: <EmptyHint text={t('support.empty')} /> }}
          pagination={{ current: page.current, pageSize: page.size, total: list.data?.total ?? 0, onChange: (current, size) => setPage({ current, size }), hideOnSinglePage: true }}
          columns={[
            {
              title: t('support.subject'),
              dataIndex: 'subject',
              render: (s: string, r) => (
                <Badge dot={r.unread} offset={[6, 0]}>
                  <Link to={`/support/${r.id}`} data-testid={`ticket-link-${r.id}`}>
                    {s}
                  </Link>
                  {r.unread && <Typography.Text type="danger"> · {t('support.unread')}</Typography.Text>}
                </Badge>
              ),
            },
            { title: t('support.status'), dataIndex: 'status', width: 160, render: (s: Ticket['status']) => <TicketStatusTag status={s} side="user" /> },
            { title: t('support.updated'), dataIndex: 'updatedAt', width: 180, responsive: ['sm'], render: (v: number) => dateTime(v, locale) },
          ]}
        />
      </Card>
    </>
  );
}
