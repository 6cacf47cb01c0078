import { useEffect, useState } from 'react';
import { App as AntApp, Button, Card, Col, Flex, Form, InputNumber, Row, Switch, Table, Tag, Typography } from 'antd';
import { adminSupport, type Referral, type ReferralPolicy } from '../../api/support';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime, money } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useAsync } from '../../lib/useAsync';

const OUTCOME_COLOR: Record<string, string> = { rewarded: 'green', disabled: 'default', cap_reached: 'orange', pending: 'blue', reversed: 'red' };

/** Invitation rewards: the policy (on/off, amounts, cap per inviter) and every invitation with its outcome. */
export default function Referrals() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const policy = useAsync(() => adminSupport.policy(), []);
  const [page, setPage] = useState({ current: 1, size: 20 });
  const list = useAsync(() => adminSupport.referrals({ limit: page.size, offset: (page.current - 1) * page.size }), [page]);
  const [form] = Form.useForm<ReferralPolicy>();
  const action = useAction();

  useEffect(() => {
    if (policy.data) form.setFieldsValue(policy.data);
  }, [policy.data, form]);

  const save = (v: ReferralPolicy) =>
    action.run(async () => {
      const p = await adminSupport.setPolicy({ ...v, maxRewardsPerInviter: v.maxRewardsPerInviter ?? null });
      form.setFieldsValue(p);
      message.success(t('referrals.saved'));
    });

  return (
    <>
      <PageHeader title={t('referrals.title')} subtitle={t('referrals.subtitle')} />
      <ErrorAlert error={policy.error} />
      <Card title={t('referrals.policy')} style={{ marginBottom: 16 }} loading={policy.loading && !policy.data}>
        <Form form={form} layout="vertical" onFinish={save}>
          <Row gutter={16}>
            <Col xs={24} md={4}>
              <Form.Item name="enabled" label={t('referrals.enabled')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12} md={6}>
              <Form.Item name="inviterReward" label={t('referrals.inviterReward')} rules={[{ required: true }]}>
                <InputNumber min={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12} md={6}>
              <Form.Item name="inviteeReward" label={t('referrals.inviteeReward')} rules={[{ required: true }]}>
                <InputNumber min={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="maxRewardsPerInviter" label={t('referrals.max')} extra={t('referrals.maxHint')}>
                <InputNumber min={0} precision={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
          <ErrorAlert error={action.error} style={{ marginBottom: 16 }} />
          <Flex justify="flex-end">
            <Button type="primary" htmlType="submit" loading={action.busy}>
              {t('referrals.save')}
            </Button>
          </Flex>
        </Form>
      </Card>
      <ErrorAlert error={list.error} />
      <Card size="small" styles={{ body: { padding: 0 } }}>
        <Table<Referral>
          size="small"
          rowKey="inviteeId"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: <EmptyHint text={t('referrals.empty')} /> }}
          scroll={{ x: 800 }}
          pagination={{ current: page.current, pageSize: page.size, total: list.data?.total ?? 0, onChange: (current, size) => setPage({ current, size }), hideOnSinglePage: true }}
          columns={[
            { title: t('referrals.inviter'), dataIndex: 'inviterEmail', render: (e: string | null, r) => e ?? r.inviterId },
            { title: t('referrals.invitee'), dataIndex: 'inviteeEmail', render: (e: string | null, r) => e ?? r.inviteeId },
            { title: t('referrals.since'), dataIndex: 'createdAt', render: (v: number) => dateTime(v, locale) },
            { title: t('referrals.firstPaid'), dataIndex: 'firstPaidAt', render: (v: number | null) => dateTime(v, locale) },
            {
              title: t('referrals.outcome'),
              dataIndex: 'outcome',
              render: (o: Referral['outcome'], r) =>
                o ? (
                  <>
                    <Tag color={OUTCOME_COLOR[o]}>{t(`referrals.outcome.${o}`)}</Tag>
                    {o === 'rewarded' && <Typography.Text type="secondary">{`${money(r.inviterReward, 2)} + ${money(r.inviteeReward, 2)}`}</Typography.Text>}
                    {o === 'reversed' && <Typography.Text type="secondary">{`−${money(r.inviterReclaimed, 2)} / −${money(r.inviteeReclaimed, 2)}`}</Typography.Text>}
                  </>
                ) : (
                  <Typography.Text type="secondary">{t('referrals.outcome.none')}</Typography.Text>
                ),
            },
          ]}
        />
      </Card>
    </>
  );
}
