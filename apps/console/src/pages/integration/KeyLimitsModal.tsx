import { useEffect } from 'react';
import { DatePicker, Form, Input, InputNumber, Modal, Select } from 'antd';
import { keys } from '../../api/endpoints';
import type { ApiKey, KeyLimits, Model } from '../../api/types';
import { ErrorAlert } from '../../components/ErrorAlert';
import { validated } from '../../lib/forms';
import { useT } from '../../i18n';
import { splitList } from '../../lib/format';
import { useAction } from '../../lib/useAction';

interface Values {
  name: string;
  creditLimit?: number | null;
  expiresAt?: { valueOf(): number } | null;
  models?: string[];
  ips?: string;
  origins?: string;
  rpm?: number | null;
  tpm?: number | null;
}

/**
 * Name and limits of one key. Empty fields mean "no limit" and are sent as null, so clearing a
 * field really removes the limit on the server.
 */
export function KeyLimitsModal({ apiKey, models, onClose, onSaved }: { apiKey: ApiKey | null; models: Model[]; onClose(): void; onSaved(k: ApiKey): void }) {
  const t = useT();
  const [form] = Form.useForm<Values>();
  const { busy, error, setError, run } = useAction();

  useEffect(() => {
    if (!apiKey) return;
    setError(undefined);
    form.setFieldsValue({
      name: apiKey.name,
      creditLimit: apiKey.creditLimit ?? null,
      expiresAt: null,
      models: apiKey.models ?? [],
      ips: (apiKey.ips ?? []).join('\n'),
      origins: (apiKey.origins ?? []).join('\n'),
      rpm: apiKey.rpm ?? null,
      tpm: apiKey.tpm ?? null,
    });
  }, [apiKey, form]);

  async function save() {
    if (!apiKey) return;
    const v = await validated(form);
        if (!v) return;
    const limits: KeyLimits = {
      creditLimit: v.creditLimit ?? null,
      models: v.models?.length ? v.models : null,
      ips: splitList(v.ips).length ? splitList(v.ips) : null,
      origins: splitList(v.origins).length ? splitList(v.origins) : null,
      rpm: v.rpm ?? null,
      tpm: v.tpm ?? null,
    };
    // Only send an expiry the user touched: the picker starts empty even when one is set.
    if (v.expiresAt) limits.expiresAt = v.expiresAt.valueOf();
    else if (form.isFieldTouched('expiresAt')) limits.expiresAt = null;
    await run(async () => {
      const onlyName = v.name !== apiKey.name ? { name: v.name.trim() } : {};
      const r = await keys.update(apiKey.id, { ...onlyName, ...limits });
      onSaved(r.key);
    });
  }

  return (
    <Modal open={!!apiKey} title={t('keys.limitsTitle', { name: apiKey?.name ?? '' })} onCancel={onClose} onOk={save} okText={t('common.save')} confirmLoading={busy} destroyOnHidden forceRender>
      <ErrorAlert error={error} style={{ marginBottom: 12 }} />
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item name="name" label={t('keys.name')} rules={[{ required: true, whitespace: true, message: t('keys.nameRequired') }, { max: 100 }]}>
          <Input />
        </Form.Item>
        <Form.Item name="creditLimit" label={t('keys.creditLimit')} extra={t('keys.creditLimitHelp', { spent: apiKey?.spent ?? 0 })}>
          <InputNumber min={0} step={10} style={{ width: '100%' }} suffix="P" placeholder={t('keys.unlimited')} />
        </Form.Item>
        <Form.Item
          name="expiresAt"
          label={t('keys.expiresAt')}
          extra={apiKey?.expiresAt ? t('keys.currentExpiry', { when: new Date(apiKey.expiresAt).toLocaleString() }) : t('keys.neverExpires')}
        >
          <DatePicker showTime style={{ width: '100%' }} />
        </Form.Item>
        <Form.Item name="models" label={t('keys.models')} extra={t('keys.modelsHelp')}>
          <Select mode="tags" options={models.map((m) => ({ value: m.id, label: m.id }))} placeholder={t('keys.allModels')} />
        </Form.Item>
        <Form.Item name="ips" label={t('keys.ips')} extra={t('keys.ipsHelp')}>
          <Input.TextArea rows={2} placeholder="203.0.113.7&#10;10.0.0.0/8" />
        </Form.Item>
        <Form.Item name="origins" label={t('keys.origins')} extra={t('keys.originsHelp')}>
          <Input.TextArea rows={2} placeholder="https://app.example.com" />
        </Form.Item>
        <Form.Item label={t('keys.rateLimits')} style={{ marginBottom: 0 }}>
          <Form.Item name="rpm" style={{ display: 'inline-block', width: 'calc(50% - 4px)' }}>
            <InputNumber min={1} precision={0} style={{ width: '100%' }} suffix="RPM" placeholder={t('keys.unlimited')} data-testid="key-rpm" />
          </Form.Item>
          <Form.Item name="tpm" style={{ display: 'inline-block', width: 'calc(50% - 4px)', marginLeft: 8 }}>
            <InputNumber min={1} precision={0} style={{ width: '100%' }} suffix="TPM" placeholder={t('keys.unlimited')} data-testid="key-tpm" />
          </Form.Item>
        </Form.Item>
      </Form>
    </Modal>
  );
}
