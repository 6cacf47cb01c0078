import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Alert, Button, Card, Col, List, Row, Skeleton, Statistic, Steps, Table, Tag, Typography } from 'antd';
import { ApiOutlined, CommentOutlined, CreditCardOutlined } from '@ant-design/icons';
import { billing, usage } from '../api/endpoints';
import type { UsageSummary } from '../api/types';
import { useSession } from '../auth/session';
import { AnnouncementsBar } from '../components/AnnouncementsBar';
import { Chart, type ChartOption } from '../components/Chart';
import { EmptyHint } from '../components/EmptyHint';
import { callErrorText, ErrorAlert } from '../components/ErrorAlert';
import { useI18n } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { dateTime, money, num } from '../lib/format';
import { noticeText } from '../lib/ledgerReason';
import { useAsync } from '../lib/useAsync';

/** The first screen after sign-in: money left, what was spent on what, and what went wrong lately. */
export function Dashboard() {
  const { t, locale } = useI18n();
  const { user } = useSession();
  const [params] = useSearchParams();
  const account = useAsync(() => billing.account(), []);
  const summary = useAsync(() => billing.usage(30), []);
  const errors = useAsync(() => usage.logs({ status: 'error', limit: 5 }), []);

  const totals = useMemo(() => {
    const days = summary.data?.days ?? [];
    return days.reduce((a, d) => ({ requests: a.requests + d.requests, cost: a.cost + d.cost, errors: a.errors + d.errors }), { requests: 0, cost: 0, errors: 0 });
  }, [summary.data]);

  return (
    <>
      <PageHeader title={t('dashboard.title')} subtitle={t('dashboard.hello', { name: user?.display_name || user?.email || '' })} />
      {params.get('welcome') && account.data && (
        <Alert
          type="success"
          showIcon
          closable
          style={{ marginBottom: 16 }}
          title={user?.email_pending ? t('dashboard.welcomePending', { email: user.email }) : t('dashboard.welcome', { amount: money(account.data.balance) })}
        />
      )}
      <AnnouncementsBar />
      {account.data?.notices.map((n) => (
        <Alert key={n.id} type={n.kind === 'low_balance' ? 'warning' : 'info'} showIcon style={{ marginBottom: 16 }} title={noticeText(t, n)} data-testid="notice" />
      ))}

      <Row gutter={[16, 16]}>
        <Col xs={24} sm={12} lg={6}>
          <Card>
            {account.error ? (
              <ErrorAlert error={account.error} />
            ) : (
              <div data-testid="balance">
                <Statistic title={t('dashboard.balance')} loading={account.loading} value={account.data ? money(account.data.balance, 2) : '—'} styles={{ content: { color: '#1677ff' } }} />
              </div>
            )}
            <Link to="/topup">{t('dashboard.topUp')}</Link>
          </Card>
        </Col>
        <Col xs={24} sm={12} lg={6}>
          <Card>
            <Statistic title={t('dashboard.spend30')} loading={summary.loading} value={summary.data ? money(totals.cost, 2) : '—'} />
            <Typography.Text type="secondary">{account.data ? t('dashboard.groupInfo', { group: account.data.group, m: account.data.multiplier }) : '\u00a0'}</Typography.Text>
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={t('dashboard.requests30')} loading={summary.loading} value={summary.data ? num(totals.requests) : '—'} />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card>
            <Statistic title={t('dashboard.errors30')} loading={summary.loading} value={summary.data ? num(totals.errors) : '—'} styles={{ content: totals.errors ? { color: '#cf1322' } : undefined }} />
          </Card>
        </Col>

        <Col xs={24} xl={16}>
          <Card title={t('dashboard.chartTitle')}>
            {summary.error ? <ErrorAlert error={summary.error} /> : summary.loading ? <Skeleton active /> : summary.data && totals.requests > 0 ? <UsageChart data={summary.data} /> : <FirstSteps />}
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card title={t('dashboard.topModels')}>
            {summary.error ? (
              <ErrorAlert error={summary.error} />
            ) : (
              <Table
                size="small"
                rowKey="model"
                loading={summary.loading}
                pagination={false}
                dataSource={[...(summary.data?.models ?? [])].sort((a, b) => b.cost - a.cost).slice(0, 8)}
                locale={{ emptyText: <EmptyHint text={t('dashboard.noModels')} /> }}
                columns={[
                  { title: t('common.model'), dataIndex: 'model', ellipsis: true },
                  { title: t('common.requests'), dataIndex: 'requests', align: 'right', render: num },
                  { title: t('common.cost'), dataIndex: 'cost', align: 'right', render: (v: number) => money(v) },
                ]}
              />
            )}
          </Card>
        </Col>
        <Col xs={24}>
          <Card title={t('dashboard.recentErrors')} extra={<Link to="/usage?status=error">{t('common.viewAll')}</Link>}>
            {errors.error ? (
              <ErrorAlert error={errors.error} />
            ) : (
              <List
                loading={errors.loading}
                dataSource={errors.data?.items ?? []}
                locale={{ emptyText: <EmptyHint text={t('dashboard.noErrors')} /> }}
                renderItem={(l) => (
                  <List.Item>
                    <List.Item.Meta
                      title={
                        <>
                          <Tag color="red">{l.status}</Tag>
                          {l.model_requested ?? l.endpoint} <Typography.Text type="secondary">· {dateTime(l.created_at, locale)}</Typography.Text>
                        </>
                      }
                      description={callErrorText(t, l.error_code, l.error_message)}
                    />
                  </List.Item>
                )}
              />
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}

function UsageChart({ data }: { data: UsageSummary }) {
  const { t } = useI18n();
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { data: [t('common.cost'), t('common.requests')], bottom: 0 },
      grid: { left: 8, right: 8, top: 24, bottom: 36, containLabel: true },
      xAxis: { type: 'category', data: data.days.map((d) => d.date.slice(5)) },
      yAxis: [
        { type: 'value', name: 'P', splitLine: { lineStyle: { type: 'dashed' } } },
        { type: 'value', name: t('common.requests'), splitLine: { show: false } },
      ],
      series: [
        { name: t('common.cost'), type: 'line', smooth: true, areaStyle: { opacity: 0.15 }, data: data.days.map((d) => Number(d.cost.toFixed(6))) },
        { name: t('common.requests'), type: 'bar', yAxisIndex: 1, barMaxWidth: 16, itemStyle: { opacity: 0.6 }, data: data.days.map((d) => d.requests) },
      ],
    }),
    [data, t],
  );
  return <Chart option={option} />;
}

/** What a new account sees instead of an empty chart: the three steps to a first call. */
function FirstSteps() {
  const { t } = useI18n();
  return (
    <>
      <Typography.Paragraph type="secondary">{t('dashboard.noUsage')}</Typography.Paragraph>
      <Steps
        orientation="vertical"
        size="small"
        current={-1}
        items={[
          { title: <Link to="/integration">{t('dashboard.step1')}</Link>, icon: <ApiOutlined /> },
          { title: <Link to="/playground/chat">{t('dashboard.step2')}</Link>, icon: <CommentOutlined /> },
          { title: <Link to="/topup">{t('dashboard.step3')}</Link>, icon: <CreditCardOutlined /> },
        ]}
      />
      <Link to="/integration">
        <Button type="primary" style={{ marginTop: 8 }}>
          {t('dashboard.createApp')}
        </Button>
      </Link>
    </>
  );
}
