import { Alert, Card, Col, Flex, Input, Row, Skeleton, Statistic, Typography } from 'antd';
import { support } from '../api/support';
import { CopyButton } from '../components/CopyButton';
import { ErrorAlert } from '../components/ErrorAlert';
import { useT } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { money, num } from '../lib/format';
import { useAsync } from '../lib/useAsync';

/** The user's invitation link, the rewards on offer and what the link has brought so far. */
export default function Invite() {
  const t = useT();
  const mine = useAsync(() => support.referral(), []);
  const r = mine.data;
  return (
    <>
      <PageHeader title={t('invite.title')} subtitle={t('invite.subtitle')} />
      <ErrorAlert error={mine.error} />
      {!r && mine.loading && <Skeleton active />}
      {r && (
        <Flex vertical gap={16}>
          <Card title={t('invite.link')}>
            <Flex gap={8} wrap>
              <Input readOnly value={r.link} aria-label={t('invite.link')} data-testid="invite-link" style={{ flex: '1 1 280px' }} />
              <CopyButton text={r.link} type="primary" />
            </Flex>
            <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
              {t('invite.code', { code: r.code })}
            </Typography.Paragraph>
          </Card>
          {r.policy.enabled ? (
            <Alert
              type="success"
              showIcon
              title={t('invite.rewards', { inviter: money(r.policy.inviterReward, 2), invitee: money(r.policy.inviteeReward, 2) })}
              description={r.policy.maxRewardsPerInviter !== null ? t('invite.cap', { n: r.policy.maxRewardsPerInviter }) : undefined}
            />
          ) : (
            <Alert type="info" showIcon title={t('invite.off')} />
          )}
          <Row gutter={[16, 16]}>
            {(
              [
                ['invite.invited', num(r.invited)],
                ['invite.paid', num(r.paid)],
                ['invite.rewarded', num(r.rewarded)],
                ['invite.earned', money(r.earned, 2)],
              ] as const
            ).map(([k, v]) => (
              <Col xs={12} md={6} key={k}>
                <Card size="small">
                  <Statistic title={t(k)} value={v} />
                </Card>
              </Col>
            ))}
          </Row>
        </Flex>
      )}
    </>
  );
}
