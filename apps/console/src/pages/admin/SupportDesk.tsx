import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Badge, Card, Segmented, Table, Typography } from 'antd';
import { adminSupport, type Ticket, type TicketStatus } from '../../api/support';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { TicketStatusTag } from '../../components/TicketStatusTag';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

/** Every user's tickets, those waiting for an answer first by default. */
export default function SupportDesk() {
  const { t, locale } = useI18n();
  const [status, setStatus] = useState<TicketStatus | 'all'>('open');
  const [page, setPage] = useState({ current: 1, size: 20 });
  const list = useAsync(() => adminSupport.tickets({ limit: page.size, offset: (page.current - 1) * page.size, ...(status === 'all' ? {} : { status }) }), [page, status]);

  return (
    <>
      <PageHeader title={t('support.desk')} subtitle={t('support.deskSubtitle')} />
      <Segmented<TicketStatus | 'all'>
        style={{ marginBottom: 16 }}
        value={status}
        onChange={(s) => {
          setStatus(s);
          setPage((p) => ({ ...p, current: 1 }));
        }}
        options={[
          { value: 'open', label: t('support.adminStatus.open') },
          { value: 'answered', label: t('support.adminStatus.answered') },
          { value: 'closed', label: t('support.adminStatus.closed') },
          { value: 'all', label: t('support.filter.all') },
        ]}
      />
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
                  <Link to={`/admin/support/${r.id}`} data-testid={`desk-link-${r.id}`}>
                    {s}
                  </Link>
                </Badge>
              ),
            },
            { title: t('support.user'), dataIndex: 'email', responsive: ['md'], render: (e: string | null, r) => <Typography.Text>{e ?? r.userId}</Typography.Text> },
            { title: t('support.status'), dataIndex: 'status', width: 130, render: (s: TicketStatus) => <TicketStatusTag status={s} side="admin" /> },
            { title: t('support.updated'), dataIndex: 'updatedAt', width: 180, responsive: ['sm'], render: (v: number) => dateTime(v, locale) },
          ]}
        />
      </Card>
    </>
  );
}
