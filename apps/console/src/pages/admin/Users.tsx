import { useEffect, useState } from 'react';
import { App as AntApp, Button, Card, Form, Input, InputNumber, Popconfirm, Select, Space, Table, Tag, Typography } from 'antd';
import { DollarOutlined, UserAddOutlined } from '@ant-design/icons';
import type { ResponseOf } from '@apigpt/sdk/management';
import { call } from '../../api/client';
import { useConsoleT } from '../../i18n/console-quality';
import { admin } from '../../api/endpoints';
import { privacy } from '../../api/privacy';
import type { User } from '../../api/types';
import { useSession } from '../../auth/session';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateOnly, dateTime, money } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { useAction } from '../../lib/useAction';

/** A row of the users table: the account with its balance, 30-day spend and last call. */
type UserRow = ResponseOf<'GET /api/admin/users'>['items'][number];

/** A deleted account stays listed (its ledger is kept) under its pseudonym, with nothing left to act on. */
function isDeleted(u: User): boolean {
  return u.email.endsWith('@deleted.invalid');
}

/** Search users, add one, change group or role, grant or deduct credit with a reason, disable an account. */
export default function Users() {
  const { t, locale } = useI18n();
  const tq = useConsoleT();
  const [adding, setAdding] = useState(false);
  const { message } = AntApp.useApp();
  const { user: me } = useSession();
  const [search, setSearch] = useState('');
  const [page, setPage] = useState({ current: 1, size: 20 });
  const list = useAsync(() => call('GET /api/admin/users', { query: { search: search || undefined, limit: page.size, offset: (page.current - 1) * page.size } }), [search, page]);
  const groups = useAsync(() => admin.groups(), []);
  const [crediting, setCrediting] = useState<User | null>(null);

  async function patch(u: User, p: Parameters<typeof admin.updateUser>[1]) {
    try {
      await admin.updateUser(u.id, p);
      message.success(t('common.saved'));
      list.reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  }

  /** Turns off a user's two-factor sign-in (a lost phone and lost recovery codes). */
  async function resetTwoFactor(u: User) {
    try {
      await admin.resetTwoFactor(u.id);
      message.success(t('tf.resetDone', { email: u.email }));
      list.reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  /** Deletes a user's account for them (what the user can do from My data; never an administrator's). */
  async function deleteAccount(u: User) {
    try {
      const r = await privacy.deleteUser(u.id);
      message.success(t('users.deleteAccountDone', { email: u.email, keys: r.keysRevoked }));
      list.reload();
    } catch (e) {
      message.error(errorText(t, e));
    }
  }

  const groupOptions = [...new Set(['default', ...(groups.data?.items.map((g) => g.name) ?? []), ...(list.data?.items.map((u) => u.group_name) ?? [])])].map((g) => ({ value: g, label: g }));

  return (
    <>
      <PageHeader
        title={t('nav.users')}
        subtitle={t('users.subtitle')}
        extra={
          <>
          <Input.Search
            allowClear
            aria-label={tq('users.searchLabel')}
            placeholder={t('users.search')}
            onSearch={(v) => {
              setSearch(v.trim());
              setPage((p) => ({ ...p, current: 1 }));
            }}
            style={{ width: 260, maxWidth: '100%' }}
          />
          <Button type="primary" icon={<UserAddOutlined />} onClick={() => setAdding(true)} data-testid="add-user">
            {tq('users.add')}
          </Button>
          </>
        }
      />
      <ErrorAlert error={list.error} style={{ marginBottom: 16 }} />
      <Card styles={{ body: { padding: 0 } }}>
        <Table<UserRow>
          rowKey="id"
          size="small"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 1200 }}
          locale={{ emptyText: <EmptyHint text={search ? t('users.noMatch') : t('users.empty')} /> }}
          pagination={{ current: page.current, pageSize: page.size, total: list.data?.total ?? 0, onChange: (current, size) => setPage({ current, size }) }}
          columns={[
            {
              title: t('auth.email'),
              dataIndex: 'email',
              render: (e: string, u) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text>{e}</Typography.Text>
                  {u.display_name && <Typography.Text type="secondary">{u.display_name}</Typography.Text>}
                </Space>
              ),
            },
            { title: t('users.role'), dataIndex: 'role', render: (r: User['role'], u) => <Select size="small" aria-label={`${t('users.role')}: ${u.email}`} value={r} disabled={u.id === me?.id} style={{ width: 100 }} onChange={(role) => patch(u, { role })} options={[{ value: 'user', label: t('users.roleUser') }, { value: 'admin', label: t('users.roleAdmin') }]} /> },
            { title: t('models.group'), dataIndex: 'group_name', render: (g: string, u) => <Select size="small" aria-label={`${t('models.group')}: ${u.email}`} value={g} style={{ width: 120 }} onChange={(group) => patch(u, { group })} options={groupOptions} /> },
            {
              title: t('common.status'),
              dataIndex: 'status',
              render: (s: User['status'], u) =>
                isDeleted(u) ? <Tag data-testid="user-deleted">{t('users.deletedTag')}</Tag> : <Tag color={s === 'active' ? 'green' : 'default'}>{t(s === 'active' ? 'users.active' : 'users.disabled')}</Tag>,
            },
            { title: tq('users.balance'), dataIndex: 'balance', align: 'right', render: (v: number) => <span data-testid="user-balance">{money(v, 2)}</span> },
            { title: tq('users.spend30'), dataIndex: 'spend_30d', align: 'right', render: (v: number) => <span data-testid="user-spend">{money(v)}</span> },
            { title: tq('users.lastActive'), dataIndex: 'last_active_at', render: (v: number | null) => <span data-testid="user-last-active">{v ? dateTime(v, locale) : tq('users.neverActive')}</span> },
            {
              title: t('tf.column'),
              dataIndex: 'two_factor_at',
              render: (v: number | null | undefined, u) =>
                v ? (
                  <Popconfirm title={t('tf.resetConfirm')} okButtonProps={{ danger: true }} onConfirm={() => resetTwoFactor(u)}>
                    <Tag color="green" style={{ cursor: 'pointer' }} data-testid="user-two-factor">
                      {t('tf.reset')}
                    </Tag>
                  </Popconfirm>
                ) : (
                  <Typography.Text type="secondary">—</Typography.Text>
                ),
            },
            { title: t('users.joined'), dataIndex: 'created_at', render: (v: number) => dateOnly(v, locale) },
            {
              title: '',
              key: 'a',
              fixed: 'right',
              render: (_, u) => (
                <Space size={4}>
                  <Button size="small" icon={<DollarOutlined />} onClick={() => setCrediting(u)}>
                    {t('users.credit')}
                  </Button>
                  {u.id !== me?.id && !isDeleted(u) &&
                    (u.status === 'active' ? (
                      <Popconfirm title={t('users.disableConfirm')} okButtonProps={{ danger: true }} onConfirm={() => patch(u, { status: 'disabled' })}>
                        <Button size="small" danger>
                          {t('users.disable')}
                        </Button>
                      </Popconfirm>
                    ) : (
                      <Button size="small" onClick={() => patch(u, { status: 'active' })}>
                        {t('users.enable')}
                      </Button>
                    ))}
                  {u.id !== me?.id && u.role !== 'admin' && !isDeleted(u) && (
                    <Popconfirm title={t('users.deleteAccountConfirm')} okButtonProps={{ danger: true }} onConfirm={() => deleteAccount(u)}>
                      <Button size="small" danger type="text" data-testid="user-delete">
                        {t('users.deleteAccount')}
                      </Button>
                    </Popconfirm>
                  )}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <CreditModal user={crediting} onClose={() => setCrediting(null)} />
      <AddUserModal
        open={adding}
        groups={groupOptions}
        onClose={() => setAdding(false)}
        onAdded={(email) => {
          setAdding(false);
          message.success(tq('users.addDone', { email }));
          list.reload();
        }}
      />
    </>
  );
}

/** Grant (positive) or deduct (negative) credit; the reason goes into the user's ledger. */
function CreditModal({ user, onClose }: { user: User | null; onClose(): void }) {
  const { t } = useI18n();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<{ amount: number; reason: string }>();
  const action = useAction();
  useEffect(() => {
    if (!user) return;
    form.resetFields();
    action.setError(undefined);
  }, [user, form]);
  return (
    <FormModal
      open={!!user}
      title={t('users.creditTitle', { email: user?.email ?? '' })}
      onCancel={onClose}
      form={form}
      action={action}
      onSubmit={async (v) => {
        const r = await admin.credit(user!.id, v.amount, v.reason.trim());
        message.success(t('users.creditDone', { balance: money(r.balance, 2) }));
        onClose();
      }}
    >
      <Form form={form} layout="vertical" requiredMark={false}>
        <Form.Item
          name="amount"
          label={t('users.amount')}
          extra={t('users.amountHelp')}
          rules={[{ required: true, message: t('users.amountRequired') }, { validator: (_, v) => (v === 0 ? Promise.reject(new Error(t('users.amountRequired'))) : Promise.resolve()) }]}
        >
          <InputNumber style={{ width: '100%' }} suffix="P" />
        </Form.Item>
        <Form.Item name="reason" label={t('topup.reason')} rules={[{ required: true, whitespace: true, message: t('users.reasonRequired') }, { max: 200 }]}>
          <Input />
        </Form.Item>
      </Form>
    </FormModal>
  );
}


/**
 * "Add user": an account made by an admin, with a password the server holds to the same strength
 * check as a sign-up (a weak one comes back as the server's `weak_password`, shown in the reader's
 * language under the field by ErrorAlert's mapping).
 */
function AddUserModal({ open, groups, onClose, onAdded }: { open: boolean; groups: { value: string; label: string }[]; onClose(): void; onAdded(email: string): void }) {
  const { t } = useI18n();
  const tq = useConsoleT();
  const [form] = Form.useForm<{ email: string; password: string; role: User['role']; group: string }>();
  const action = useAction();
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    action.setError(undefined);
  }, [open, form]);
  return (
    <FormModal
      open={open}
      title={tq('users.addTitle')}
      onCancel={onClose}
      form={form}
      action={action}
      onSubmit={async (v) => {
        const r = await call('POST /api/admin/users', { body: { email: v.email.trim(), password: v.password, role: v.role, group: v.group } });
        onAdded(r.user.email);
      }}
    >
      <Form form={form} layout="vertical" requiredMark={false} initialValues={{ role: 'user', group: 'default' }}>
        <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, type: 'email', message: tq('users.emailRequired') }]}>
          <Input autoComplete="off" data-testid="add-user-email" />
        </Form.Item>
        <Form.Item name="password" label={tq('users.password')} extra={tq('users.passwordHelp')} rules={[{ required: true, min: 8, message: tq('users.passwordRequired') }]}>
          <Input.Password autoComplete="new-password" data-testid="add-user-password" />
        </Form.Item>
        <Space wrap size={16}>
          <Form.Item name="role" label={t('users.role')}>
            <Select style={{ width: 140 }} options={[{ value: 'user', label: t('users.roleUser') }, { value: 'admin', label: t('users.roleAdmin') }]} />
          </Form.Item>
          <Form.Item name="group" label={t('models.group')}>
            <Select style={{ width: 160 }} options={groups} />
          </Form.Item>
        </Space>
      </Form>
    </FormModal>
  );
}
