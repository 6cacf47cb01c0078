import { Button, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { SettingOutlined, StopOutlined } from '@ant-design/icons';
import type { ApiKey } from '../../api/types';
import { useI18n } from '../../i18n';
import { dateTime, money } from '../../lib/format';

/** One app's keys: status, what was spent, limits at a glance, and the actions on each. */
export function KeysTable({ items, onEdit, onRevoke }: { items: ApiKey[]; onEdit(k: ApiKey): void; onRevoke(k: ApiKey): Promise<void> }) {
  const { t, locale } = useI18n();
  return (
    <Table<ApiKey>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={items}
      scroll={{ x: 720 }}
      columns={[
        { title: t('keys.name'), dataIndex: 'name', render: (v: string, k) => <span data-testid={`key-name-${k.id}`}>{v}</span> },
        { title: t('keys.key'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
        {
          title: t('common.status'),
          key: 'status',
          render: (_, k) =>
            k.revoked_at ? <Tag>{t('keys.revoked')}</Tag> : k.expiresAt && k.expiresAt < Date.now() ? <Tag color="orange">{t('keys.expired')}</Tag> : <Tag color="green">{t('keys.active')}</Tag>,
        },
        { title: t('keys.spent'), key: 'spent', render: (_, k) => (k.spent === undefined ? '—' : `${money(k.spent)}${k.creditLimit ? ` / ${money(k.creditLimit)}` : ''}`) },
        { title: t('keys.limits'), key: 'limits', render: (_, k) => <LimitTags k={k} /> },
        { title: t('keys.lastUsed'), dataIndex: 'last_used_at', render: (v: number | null) => (v ? dateTime(v, locale) : t('keys.never')) },
        {
          title: '',
          key: 'actions',
          fixed: 'right',
          render: (_, k) =>
            k.revoked_at ? null : (
              <Space size={4}>
                <Tooltip title={t('keys.editLimits')}>
                  <Button size="small" icon={<SettingOutlined />} onClick={() => onEdit(k)} aria-label={t('keys.editLimits')} />
                </Tooltip>
                <Popconfirm title={t('keys.revokeConfirm')} description={t('keys.revokeHelp')} okButtonProps={{ danger: true }} okText={t('keys.revoke')} onConfirm={() => onRevoke(k)}>
                  <Button size="small" danger icon={<StopOutlined />}>
                    {t('keys.revoke')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
        },
      ]}
    />
  );
}

function LimitTags({ k }: { k: ApiKey }) {
  const { t, locale } = useI18n();
  const tags: string[] = [];
  if (k.models?.length) tags.push(t('keys.tagModels', { n: k.models.length }));
  if (k.ips?.length) tags.push(t('keys.tagIps', { n: k.ips.length }));
  if (k.origins?.length) tags.push(t('keys.tagOrigins', { n: k.origins.length }));
  if (k.rpm) tags.push(`${k.rpm} RPM`);
  if (k.tpm) tags.push(`${k.tpm} TPM`);
  if (k.expiresAt) tags.push(t('keys.tagExpires', { when: dateTime(k.expiresAt, locale) }));
  if (!tags.length) return <Typography.Text type="secondary">{t('keys.noLimits')}</Typography.Text>;
  return (
    <Space size={[4, 4]} wrap>
      {tags.map((x) => (
        <Tag key={x}>{x}</Tag>
      ))}
    </Space>
  );
}
