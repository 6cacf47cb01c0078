import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Card, Col, Row, Segmented, Skeleton, Statistic, Table, Tag, Typography } from 'antd';
import { call } from '../../api/client';
import { Chart, type ChartOption } from '../../components/Chart';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { useConsoleT } from '../../i18n/console-quality';
import { PageHeader } from '../../layout/PageHeader';
import { money, num } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

type Report = Awaited<ReturnType<typeof overview>>;
const overview = (days: number) => call('GET /api/admin/overview', { query: { days } });

/** The admin's dashboard: the whole gateway (every account) rather than their own account. */
export default function Overview() {
  const tq = useConsoleT();
  const { t } = useI18n();
  const [days, setDays] = useState(30);
  const report = useAsync(() => overview(days), [days]);
  const totals = useMemo(() => (report.data?.days ?? []).reduce((a, d) => ({ requests: a.requests + d.requests, errors: a.errors + d.errors, cost: a.cost + d.cost }), { requests: 0, errors: 0, cost: 0 }), [report.data]);
  const r = report.data;
  const stat = (title: string, value: string, foot?: string, danger?: boolean) => (
    <Card>
      <Statistic title={title} value={r ? value : '—'} loading={report.loading && !r} styles={{ content: danger ? { color: '#cf1322' } : undefined }} />
      <Typography.Text type="secondary">{foot ?? '\u00a0'}</Typography.Text>
    </Card>
  );
  return (
    <>
      <PageHeader
        title={tq('nav.overview')}
        subtitle={tq('overview.subtitle')}
        extra={
          <Segmented<number>
            aria-label={tq('overview.range')}
            value={days}
            onChange={setDays}
            options={[7, 30, 90].map((n) => ({ value: n, label: tq('overview.days', { n }) }))}
            data-testid="overview-range"
          />
        }
      />
      <ErrorAlert error={report.error} style={{ marginBottom: 16 }} />
      <Row gutter={[16, 16]}>
        <Col xs={12} lg={6} data-testid="overview-calls">
          {stat(tq('overview.calls'), num(totals.requests))}
        </Col>
        <Col xs={12} lg={6} data-testid="overview-spend">
          {stat(tq('overview.spend'), money(totals.cost, 2))}
        </Col>
        <Col xs={12} lg={6} data-testid="overview-errors">
          {stat(tq('overview.errors'), num(totals.errors), totals.requests ? tq('overview.errorRate', { rate: ((totals.errors / totals.requests) * 100).toFixed(1) }) : undefined, totals.errors > 0)}
        </Col>
        <Col xs={12} lg={6} data-testid="overview-active">
          {stat(tq('overview.activeUsers'), num(r?.activeUsers), r ? tq('overview.ofUsers', { n: num(r.users_total) }) : undefined)}
        </Col>
        <Col xs={24}>
          <Card title={tq('overview.chart')} extra={r && <Typography.Text type="secondary">{tq('overview.channels')}: {r.channelsEnabled} / {r.channels}</Typography.Text>}>
            {report.loading && !r ? <Skeleton active /> : r && totals.requests > 0 ? <DaysChart report={r} /> : <EmptyHint text={tq('overview.empty')} />}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={tq('overview.topUsers')} styles={{ body: { padding: 0 } }}>
            <Table
              size="small"
              rowKey="userId"
              pagination={false}
              loading={report.loading}
              dataSource={r?.users ?? []}
              data-testid="overview-users"
              locale={{ emptyText: <EmptyHint text={tq('overview.empty')} /> }}
              columns={[
                {
                  title: tq('overview.user'),
                  dataIndex: 'email',
                  ellipsis: true,
                  render: (e: string | null) => (e ? <Link to={`/admin/logs?email=${encodeURIComponent(e)}`}>{e}</Link> : <Typography.Text type="secondary">{tq('overview.deletedUser')}</Typography.Text>),
                },
                { title: t('common.requests'), dataIndex: 'requests', align: 'right', width: 90, render: num },
                { title: tq('overview.errors'), dataIndex: 'errors', align: 'right', width: 80, render: (n: number) => (n ? <Tag color="red">{num(n)}</Tag> : '0') },
                { title: t('common.cost'), dataIndex: 'cost', align: 'right', width: 120, render: (v: number) => money(v) },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={tq('overview.topModels')} styles={{ body: { padding: 0 } }}>
            <Table
              size="small"
              rowKey="model"
              pagination={false}
              loading={report.loading}
              dataSource={r?.models ?? []}
              data-testid="overview-models"
              locale={{ emptyText: <EmptyHint text={tq('overview.empty')} /> }}
              columns={[
                { title: t('common.model'), dataIndex: 'model', ellipsis: true },
                { title: t('common.requests'), dataIndex: 'requests', align: 'right', width: 90, render: num },
                { title: tq('overview.errors'), dataIndex: 'errors', align: 'right', width: 80, render: (n: number) => (n ? <Tag color="red">{num(n)}</Tag> : '0') },
                { title: t('common.cost'), dataIndex: 'cost', align: 'right', width: 120, render: (v: number) => money(v) },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}

function DaysChart({ report }: { report: Report }) {
  const { t } = useI18n();
  const tq = useConsoleT();
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { data: [t('common.cost'), tq('overview.calls'), tq('overview.errors')], bottom: 0 },
      grid: { left: 8, right: 8, top: 24, bottom: 36, containLabel: true },
      xAxis: { type: 'category', data: report.days.map((d) => d.date.slice(5)) },
      yAxis: [
        { type: 'value', name: 'P', splitLine: { lineStyle: { type: 'dashed' } } },
        { type: 'value', name: tq('overview.calls'), splitLine: { show: false } },
      ],
      series: [
        { name: t('common.cost'), type: 'line', smooth: true, areaStyle: { opacity: 0.15 }, data: report.days.map((d) => Number(d.cost.toFixed(6))) },
        { name: tq('overview.calls'), type: 'bar', stack: 'calls', yAxisIndex: 1, barMaxWidth: 16, itemStyle: { opacity: 0.6 }, data: report.days.map((d) => d.requests - d.errors) },
        { name: tq('overview.errors'), type: 'bar', stack: 'calls', yAxisIndex: 1, barMaxWidth: 16, itemStyle: { color: '#cf1322', opacity: 0.7 }, data: report.days.map((d) => d.errors) },
      ],
    }),
    [report, t, tq],
  );
  return <Chart option={option} />;
}
