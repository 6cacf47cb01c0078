import { Button, Grid, Popconfirm, Space, Table, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useConsoleT } from '../../i18n/console-quality';
import { SettingOutlined, StopOutlined } from '@ant-design/icons';
import type { ApiKey } from '../../api/types';
import { useI18n } from '../../i18n';
import { dateTime, money } from '../../lib/format';

/** One app's keys: status, what was spent, limits at a glance, and the actions on each. */
export function KeysTable({ items, onEdit, onRevoke }: { items: ApiKey[]; onEdit(k: ApiKey): void; onRevoke(k: ApiKey): Promise<void> }) {
  const { t, locale } = useI18n();
  const tq = useConsoleT();
  // Phones: one column tells the key (name, prefix, status, spend, limits) and one holds the
  // actions, so the revoke button is on screen without scrolling sideways.
  const phone = !Grid.useBreakpoint().md;
  const status = (k: ApiKey) =>
    k.revoked_at ? <Tag>{t('keys.revoked')}</Tag> : k.expiresAt && k.expiresAt < Date.now() ? <Tag color="orange">{t('keys.expired')}</Tag> : <Tag color="green">{t('keys.active')}</Tag>;
  const spent = (k: ApiKey) => (k.spent === undefined ? '—' : `${money(k.spent)}${k.creditLimit ? ` / ${money(k.creditLimit)}` : ''}`);
  const actions = (k: ApiKey) =>
    k.revoked_at ? null : (
      <Space size={4} wrap>
        <Tooltip title={t('keys.editLimits')}>
          <Button size="small" icon={<SettingOutlined />} onClick={() => onEdit(k)} aria-label={t('keys.editLimits')} />
        </Tooltip>
        <Popconfirm title={t('keys.revokeConfirm')} description={t('keys.revokeHelp')} okButtonProps={{ danger: true }} okText={t('keys.revoke')} onConfirm={() => onRevoke(k)}>
          <Button size="small" danger icon={<StopOutlined />} data-testid={`revoke-${k.id}`}>
            {t('keys.revoke')}
          </Button>
        </Popconfirm>
      </Space>
    );
  const phoneColumns: ColumnsType<ApiKey> = [
    {
      title: t('keys.name'),
      key: 'key',
      render: (_, k) => (
        <Space orientation="vertical" size={2} style={{ minWidth: 0, maxWidth: '100%' }}>
          <Typography.Text strong ellipsis style={{ maxWidth: '100%' }} data-testid={`key-name-${k.id}`}>{k.name}</Typography.Text>
          <Space size={4} wrap>
            <Typography.Text code>{k.prefix}…</Typography.Text>
            {status(k)}
          </Space>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('keys.spent')}: {spent(k)}</Typography.Text>
          <LimitTags k={k} />
        </Space>
      ),
    },
    { title: <span className="sr-only">{tq('keys.actions')}</span>, key: 'actions', width: 112, render: (_, k) => actions(k) },
  ];
  return (
    <Table<ApiKey>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={items}
      scroll={phone ? undefined : { x: 720 }}
      tableLayout={phone ? 'fixed' : undefined}
      data-testid="keys-table"
      columns={phone ? phoneColumns : [
        { title: t('keys.name'), dataIndex: 'name', render: (v: string, k) => <span data-testid={`key-name-${k.id}`}>{v}</span> },
        { title: t('keys.key'), dataIndex: 'prefix', render: (p: string) => <Typography.Text code>{p}…</Typography.Text> },
        { title: t('common.status'), key: 'status', render: (_, k) => status(k) },
        { title: t('keys.spent'), key: 'spent', render: (_, k) => spent(k) },
        { title: t('keys.limits'), key: 'limits', render: (_, k) => <LimitTags k={k} /> },
        { title: t('keys.lastUsed'), dataIndex: 'last_used_at', render: (v: number | null) => (v ? dateTime(v, locale) : t('keys.never')) },
        {
          title: '',
          key: 'actions',
          fixed: 'right',
          render: (_, k) => actions(k),
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
