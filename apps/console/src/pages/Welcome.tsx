import { useState } from 'react';
import { Navigate, useNavigate } from 'react-router-dom';
import { Alert, Button, Card, Checkbox, Flex, Form, Input, Skeleton, Space, Tag, Typography } from 'antd';
import { onboarding, type OnboardingResult } from '../api/onboarding';
import { useSession } from '../auth/session';
import { CopyButton } from '../components/CopyButton';
import { ErrorAlert } from '../components/ErrorAlert';
import { useT, type MessageKey } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { useAction } from '../lib/useAction';
import { useAsync } from '../lib/useAsync';

interface Values {
  displayName?: string;
  organisation?: string;
  building?: string;
  services?: string[];
  appName?: string;
}

/**
 * The welcome step, offered once after sign-up (the server keeps the flag): a short profile and the
 * services wanted; submitting creates the first App and shows its key once. Skipping ends it too.
 */
export default function Welcome() {
  const t = useT();
  const navigate = useNavigate();
  const { user, refresh } = useSession();
  const offer = useAsync(() => onboarding.offer(), []);
  const action = useAction();
  const [done, setDone] = useState<OnboardingResult | null>(null);
  const svc = (id: string) => t(`welcome.svc.${id}` as MessageKey);

  // Done or skipped before (another tab, a bookmark): the step is not shown again.
  if (!done && offer.data && offer.data.state !== 'pending') return <Navigate to="/" replace />;

  const submit = (v: Values) =>
    action.run(async () => {
      const r = await onboarding.submit({
        services: v.services ?? [],
        ...(v.displayName?.trim() ? { displayName: v.displayName.trim() } : {}),
        ...(v.organisation?.trim() ? { organisation: v.organisation.trim() } : {}),
        ...(v.building?.trim() ? { building: v.building.trim() } : {}),
        ...(v.appName?.trim() ? { appName: v.appName.trim() } : {}),
      });
      setDone(r);
      await refresh();
    });
  const skip = () =>
    action.run(async () => {
      await onboarding.skip();
      await refresh();
      navigate('/?welcome=1', { replace: true });
    });

  if (done)
    return (
      <>
        <PageHeader title={t('welcome.doneTitle', { name: done.app.name })} docTitle={t('page.welcome')} />
        <Card data-testid="welcome-done">
          <Flex vertical gap={12}>
            <Alert type="warning" showIcon title={t('welcome.keyOnce')} />
            <Flex gap={8} wrap>
              <Input readOnly value={done.key.key} aria-label="API key" data-testid="welcome-key" style={{ flex: '1 1 320px', fontFamily: 'monospace' }} />
              <CopyButton text={done.key.key} type="primary" />
            </Flex>
            <Typography.Text data-testid="welcome-models">{done.models ? t('welcome.keyModels', { models: done.models.join(', ') }) : t('welcome.keyAllModels')}</Typography.Text>
            {done.unavailable.length > 0 && <Alert type="info" showIcon data-testid="welcome-unavailable" title={t('welcome.unavailable', { services: done.unavailable.map(svc).join(', ') })} />}
            <Space wrap>
              <Button type="primary" onClick={() => navigate('/?welcome=1', { replace: true })}>
                {t('welcome.next')}
              </Button>
              <Button onClick={() => navigate('/integration')}>{t('welcome.firstCall')}</Button>
            </Space>
          </Flex>
        </Card>
      </>
    );

  return (
    <>
      <PageHeader title={t('welcome.title')} subtitle={t('welcome.subtitle')} docTitle={t('page.welcome')} />
      <ErrorAlert error={offer.error ?? action.error} />
      {!offer.data && offer.loading && <Skeleton active />}
      {offer.data && (
        <Card style={{ maxWidth: 760 }}>
          <Form<Values> layout="vertical" onFinish={submit} initialValues={{ displayName: user?.display_name ?? '', services: [] }} disabled={action.busy}>
            <Form.Item name="displayName" label={t('welcome.name')}>
              <Input maxLength={100} autoComplete="name" />
            </Form.Item>
            <Form.Item name="organisation" label={t('welcome.organisation')}>
              <Input maxLength={200} placeholder={t('welcome.organisationPlaceholder')} autoComplete="organization" />
            </Form.Item>
            <Form.Item name="building" label={t('welcome.building')}>
              <Input.TextArea maxLength={1000} rows={2} placeholder={t('welcome.buildingPlaceholder')} />
            </Form.Item>
            <Form.Item name="services" label={t('welcome.services')} extra={t('welcome.servicesHint')}>
              <Checkbox.Group style={{ width: '100%' }}>
                <Flex wrap gap="8px 24px">
                  {offer.data.services.map((s) => (
                    <Checkbox key={s.id} value={s.id} data-testid={`welcome-svc-${s.id}`}>
                      {svc(s.id)}{' '}
                      {s.models.length ? <Tag>{t('welcome.models', { n: s.models.length })}</Tag> : <Typography.Text type="secondary">({t('welcome.notHere')})</Typography.Text>}
                    </Checkbox>
                  ))}
                </Flex>
              </Checkbox.Group>
            </Form.Item>
            <Form.Item name="appName" label={t('welcome.appName')}>
              <Input maxLength={100} placeholder="My first app" />
            </Form.Item>
            <Space wrap>
              <Button type="primary" htmlType="submit" loading={action.busy} data-testid="welcome-submit">
                {t('welcome.submit')}
              </Button>
              <Button onClick={skip} data-testid="welcome-skip">
                {t('welcome.skip')}
              </Button>
            </Space>
          </Form>
        </Card>
      )}
    </>
  );
}
