import { useState } from 'react';
import { Alert, App as AntApp, Button, Card, Flex, Form, Input, Modal, QRCode, Skeleton, Space, Tag, Typography } from 'antd';
import { SafetyOutlined } from '@ant-design/icons';
import { ApiError } from '../../api/client';
import { twoFactor } from '../../api/endpoints';
import { useSession } from '../../auth/session';
import { CopyButton } from '../../components/CopyButton';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime, downloadBlob } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';

type Stage = { at: 'idle' } | { at: 'password' } | { at: 'scan'; secret: string; uri: string } | { at: 'codes'; codes: string[] };

/** A code from the app is six digits; anything else typed in the same box is taken as a recovery code. */
export function factorOf(value: string): { code: string } | { recoveryCode: string } {
  const v = value.trim();
  return /^\d{6}$/.test(v) ? { code: v } : { recoveryCode: v };
}

/**
 * The account's two-factor sign-in: turning it on (password, QR code and key, first code, recovery
 * codes shown once), new recovery codes, turning it off. An administrator the server holds to it
 * lands here and sees why.
 */
export default function TwoFactorPage() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const { refresh } = useSession();
  const status = useAsync(() => twoFactor.status(), []);
  const [stage, setStage] = useState<Stage>({ at: 'idle' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [modal, setModal] = useState<null | 'disable' | 'regenerate'>(null);

  const step = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const done = async () => {
    setStage({ at: 'idle' });
    status.reload();
    // The server may have held this admin to enrolment: the rest of the console opens now.
    await refresh();
  };

  const s = status.data;
  return (
    <>
      <PageHeader title={t('tf.title')} subtitle={t('tf.subtitle')} />
      <Card style={{ maxWidth: 720 }} data-testid="two-factor-page">
        {s?.required && stage.at !== 'codes' && <Alert type="warning" showIcon style={{ marginBottom: 16 }} title={t('tf.requiredNotice')} data-testid="two-factor-required" />}
        <ErrorAlert error={status.error ?? error} style={{ marginBottom: 16 }} />
        {status.loading && !s ? (
          <Skeleton active />
        ) : stage.at === 'codes' ? (
          <RecoveryCodes codes={stage.codes} onSaved={done} />
        ) : s?.enabled ? (
          <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
            <Space>
              <SafetyOutlined style={{ color: '#52c41a', fontSize: 20 }} />
              <Tag color="green" data-testid="two-factor-status">{t('tf.statusOn', { date: dateTime(s.enabledAt, locale) })}</Tag>
            </Space>
            <Typography.Text type={s.recoveryCodesLeft <= 3 ? 'warning' : 'secondary'}>
              {t('tf.recoveryLeft', { n: s.recoveryCodesLeft })}
              {s.recoveryCodesLeft <= 3 ? ` — ${t('tf.recoveryLow')}` : ''}
            </Typography.Text>
            <Space wrap>
              <Button onClick={() => setModal('regenerate')}>{t('tf.regenerate')}</Button>
              <Button danger onClick={() => setModal('disable')} data-testid="two-factor-off">
                {t('tf.turnOff')}
              </Button>
            </Space>
          </Space>
        ) : stage.at === 'idle' ? (
          <Space orientation="vertical" size="middle">
            <Tag data-testid="two-factor-status">{t('tf.statusOff')}</Tag>
            <Button type="primary" icon={<SafetyOutlined />} onClick={() => setStage({ at: 'password' })} data-testid="two-factor-on">
              {t('tf.turnOn')}
            </Button>
          </Space>
        ) : stage.at === 'password' ? (
          <Form<{ password: string }>
            layout="vertical"
            disabled={busy}
            onFinish={(v) => step(async () => setStage({ at: 'scan', ...(await twoFactor.setUp(v.password)) }))}
            style={{ maxWidth: 360 }}
          >
            <Typography.Paragraph>{t('tf.passwordStep')}</Typography.Paragraph>
            <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('auth.passwordRequired') }]}>
              <Input.Password autoComplete="current-password" autoFocus data-testid="two-factor-password" />
            </Form.Item>
            <Space>
              <Button type="primary" htmlType="submit" loading={busy}>
                {t('tf.continue')}
              </Button>
              <Button onClick={() => setStage({ at: 'idle' })}>{t('tf.cancel')}</Button>
            </Space>
          </Form>
        ) : (
          <Enrol
            secret={stage.secret}
            uri={stage.uri}
            busy={busy}
            onCancel={() => setStage({ at: 'idle' })}
            onCode={(code) => step(async () => setStage({ at: 'codes', codes: (await twoFactor.confirm(code)).recoveryCodes }))}
          />
        )}
      </Card>
      <ProveModal
        open={modal !== null}
        title={modal === 'disable' ? t('tf.turnOffTitle') : t('tf.regenerate')}
        help={modal === 'regenerate' ? t('tf.regenerateHelp') : undefined}
        danger={modal === 'disable'}
        onCancel={() => setModal(null)}
        onProve={async (password, factor) => {
          if (modal === 'disable') {
            await twoFactor.disable(password, factor);
            message.success(t('tf.turnedOff'));
            setModal(null);
            await done();
          } else {
            const r = await twoFactor.regenerate(password, factor);
            setModal(null);
            setStage({ at: 'codes', codes: r.recoveryCodes });
          }
        }}
      />
    </>
  );
}

/** The QR code and the key for the app, then its first code. */
function Enrol({ secret, uri, busy, onCode, onCancel }: { secret: string; uri: string; busy: boolean; onCode: (code: string) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const grouped = secret.match(/.{1,4}/g)!.join(' ');
  return (
    <Flex vertical gap={16}>
      <Typography.Title level={5} style={{ margin: 0 }}>
        {t('tf.scanTitle')}
      </Typography.Title>
      <Flex gap={24} wrap align="center">
        <QRCode value={uri} size={180} bordered data-testid="two-factor-qr" />
        <Space orientation="vertical" size={4} style={{ minWidth: 240, flex: 1 }}>
          <Typography.Text type="secondary">{t('tf.manualEntry')}</Typography.Text>
          <Space>
            <Typography.Text code style={{ fontSize: 15, letterSpacing: 1 }} data-testid="two-factor-secret">
              {grouped}
            </Typography.Text>
            <CopyButton text={secret} size="small" />
          </Space>
          <Typography.Text type="secondary" style={{ marginTop: 8 }}>
            {t('tf.uriLabel')}
          </Typography.Text>
          <Typography.Text copyable={{ text: uri }} style={{ fontSize: 12, wordBreak: 'break-all' }} data-testid="two-factor-uri">
            {uri}
          </Typography.Text>
        </Space>
      </Flex>
      <Typography.Title level={5} style={{ margin: 0 }}>
        {t('tf.confirmTitle')}
      </Typography.Title>
      <Form<{ code: string }> layout="inline" disabled={busy} onFinish={(v) => onCode(v.code.trim())}>
        <Form.Item name="code" rules={[{ required: true, message: t('tf.codeRequired') }, { pattern: /^\s*\d{6}\s*$/, message: t('tf.codeFormat') }]}>
          <Input placeholder="123456" inputMode="numeric" autoComplete="one-time-code" maxLength={6} style={{ width: 140, letterSpacing: 2 }} aria-label={t('tf.code')} data-testid="two-factor-confirm-code" />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="two-factor-confirm">
            {t('tf.confirm')}
          </Button>
        </Form.Item>
        <Form.Item>
          <Button onClick={onCancel}>{t('tf.cancel')}</Button>
        </Form.Item>
      </Form>
    </Flex>
  );
}

/** The recovery codes, shown this once, to copy or download. */
function RecoveryCodes({ codes, onSaved }: { codes: string[]; onSaved: () => void }) {
  const { t } = useI18n();
  const text = codes.join('\n');
  return (
    <Flex vertical gap={12}>
      <Alert type="success" showIcon title={t('tf.enabled')} />
      <Typography.Title level={5} style={{ margin: 0 }}>
        {t('tf.recoveryTitle')}
      </Typography.Title>
      <Typography.Text type="secondary">{t('tf.recoveryHelp')}</Typography.Text>
      <div data-testid="recovery-codes" style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(190px, 1fr))', gap: 8, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', fontSize: 15, background: '#fafafa', border: '1px solid #f0f0f0', borderRadius: 8, padding: 12 }}>
        {codes.map((c) => (
          <span key={c} data-testid="recovery-code">
            {c}
          </span>
        ))}
      </div>
      <Space wrap>
        <CopyButton text={text} label={t('tf.recoveryCopy')} />
        <Button onClick={() => downloadBlob('apigpt-recovery-codes.txt', new Blob([`${t('tf.recoveryTitle')}\n\n${text}\n`], { type: 'text/plain' }))}>{t('tf.recoveryDownload')}</Button>
        <Button type="primary" onClick={onSaved} data-testid="recovery-saved">
          {t('tf.recoverySaved')}
        </Button>
      </Space>
    </Flex>
  );
}

/** The password and a code (or a recovery code): what turning off or new recovery codes needs. */
function ProveModal(props: { open: boolean; title: string; help?: string; danger?: boolean; onCancel: () => void; onProve: (password: string, factor: ReturnType<typeof factorOf>) => Promise<void> }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ password: string; code: string }>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const v = await form.validateFields();
    setBusy(true);
    try {
      await props.onProve(v.password, factorOf(v.code));
      form.resetFields();
    } catch (e) {
      const field = e instanceof ApiError && e.param === 'password' ? 'password' : 'code';
      form.setFields([{ name: field, errors: [errorText(t, e)] }]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={props.open} title={props.title} onOk={() => submit().catch(() => undefined)} onCancel={props.onCancel} destroyOnHidden confirmLoading={busy} okButtonProps={{ danger: props.danger }}>
      {props.help && <Typography.Paragraph type="secondary">{props.help}</Typography.Paragraph>}
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('auth.passwordRequired') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="code" label={t('tf.code')} extra={t('tf.factorHelp')} rules={[{ required: true, message: t('tf.codeRequired') }]}>
          <Input autoComplete="one-time-code" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
