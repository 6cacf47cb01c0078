import { Suspense, useState, type ReactNode } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { Button, Drawer, Dropdown, Grid, Layout, Menu, Space, Spin, theme, Typography, type MenuProps } from 'antd';
import {
  ApiOutlined, AppstoreOutlined, BarChartOutlined, BookOutlined, ClusterOutlined, CommentOutlined, CreditCardOutlined, DashboardOutlined,
  FileSearchOutlined, GiftOutlined, LockOutlined, LogoutOutlined, MenuOutlined, PictureOutlined, SettingOutlined, TagsOutlined, TeamOutlined, UserOutlined } from '@ant-design/icons';
import { AccountBookOutlined, WalletOutlined } from '@ant-design/icons';
import { AuditOutlined, CustomerServiceOutlined, FundOutlined, NotificationOutlined, ShareAltOutlined, UsergroupAddOutlined, SafetyOutlined } from '@ant-design/icons';
import { EyeInvisibleOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { SupportBadge } from './SupportBadge';
import { ShoppingOutlined } from '@ant-design/icons';
import { useSession } from '../auth/session';
import { useT, type MessageKey } from '../i18n';
import { LanguageSwitch } from './LanguageSwitch';
import { ChangePasswordModal } from './ChangePassword';
import { VerifyBanner } from './VerifyBanner';
import { useConsoleT, type ConsoleQualityKey } from '../i18n/console-quality';
import { ThemeSwitch } from '../theme/ThemeSwitch';

interface NavItem {
  path: string;
  /** A key of the main dictionaries, or (`q:`) of i18n/console-quality.ts. */
  label: MessageKey | `q:${ConsoleQualityKey}`;
  icon: ReactNode;
  /** Shown after the label (the support entries' unread count). */
  badge?: ReactNode;
}

const userNav: NavItem[] = [
  { path: '/', label: 'nav.dashboard', icon: <DashboardOutlined /> },
  { path: '/integration', label: 'nav.integration', icon: <ApiOutlined /> },
  { path: '/usage', label: 'nav.usage', icon: <BarChartOutlined /> },
  { path: '/models', label: 'nav.prices', icon: <ShoppingOutlined /> },
  { path: '/recharge', label: 'nav.recharge', icon: <WalletOutlined /> },
  { path: '/topup', label: 'nav.topup', icon: <CreditCardOutlined /> },
  { path: '/playground/chat', label: 'nav.chat', icon: <CommentOutlined /> },
  { path: '/playground/image', label: 'nav.image', icon: <PictureOutlined /> },
  { path: '/docs', label: 'nav.docs', icon: <BookOutlined /> },
  { path: '/support', label: 'nav.support', icon: <CustomerServiceOutlined />, badge: <SupportBadge /> },
  { path: '/invite', label: 'nav.invite', icon: <ShareAltOutlined /> },
  { path: '/account/data', label: 'nav.myData', icon: <SafetyCertificateOutlined /> },
];

const adminNav: NavItem[] = [
  { path: '/admin/overview', label: 'q:nav.overview', icon: <FundOutlined /> },
  { path: '/admin/channels', label: 'nav.channels', icon: <ClusterOutlined /> },
  { path: '/admin/models', label: 'nav.models', icon: <TagsOutlined /> },
  { path: '/admin/users', label: 'nav.users', icon: <TeamOutlined /> },
  { path: '/admin/codes', label: 'nav.codes', icon: <GiftOutlined /> },
  { path: '/admin/topups', label: 'nav.topups', icon: <AccountBookOutlined /> },
  { path: '/admin/logs', label: 'nav.allLogs', icon: <FileSearchOutlined /> },
  { path: '/admin/audit', label: 'nav.audit', icon: <AuditOutlined /> },
  { path: '/admin/privacy', label: 'nav.privacy', icon: <EyeInvisibleOutlined /> },
  { path: '/admin/safety', label: 'nav.safety', icon: <SafetyOutlined /> },
  { path: '/admin/settings', label: 'nav.settings', icon: <SettingOutlined /> },
  { path: '/admin/support', label: 'nav.supportDesk', icon: <CustomerServiceOutlined />, badge: <SupportBadge admin /> },
  { path: '/admin/announcements', label: 'nav.announcements', icon: <NotificationOutlined /> },
  { path: '/admin/referrals', label: 'nav.referrals', icon: <UsergroupAddOutlined /> },
];

/**
 * The signed-in frame: a Sider menu on wide screens, a Drawer behind a menu button on phones (the
 * `md` breakpoint), and a header with language, user menu and log-out.
 */
export function AppLayout() {
  const t = useT();
  const tq = useConsoleT();
  const { token } = theme.useToken();
  const label = (l: NavItem['label']) => (l.startsWith('q:') ? tq(l.slice(2) as ConsoleQualityKey) : t(l as MessageKey));
  const { user, logout } = useSession();
  const screens = Grid.useBreakpoint();
  const mobile = !screens.md;
  const [drawer, setDrawer] = useState(false);
  const [collapsed, setCollapsed] = useState(false);
  const [passwordOpen, setPasswordOpen] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();

  const toItems = (list: NavItem[]): MenuProps['items'] => list.map((n) => ({ key: n.path, icon: n.icon, label: (
      <Link to={n.path}>
        {label(n.label)}
        {n.badge}
      </Link>
    ),
  }));
  const items: MenuProps['items'] = [
    ...(toItems(userNav) ?? []),
    ...(user?.role === 'admin' ? [{ type: 'group' as const, key: 'admin', label: t('nav.admin'), children: toItems(adminNav) }] : []),
  ];
  const selected = [...userNav, ...adminNav].filter((n) => (n.path === '/' ? location.pathname === '/' : location.pathname.startsWith(n.path))).map((n) => n.path);

  // A <nav> landmark around the menu: screen readers list it and can jump straight to it.
  const menu = (
    <nav aria-label={tq('nav.main')}>
      <Menu mode="inline" selectedKeys={selected} items={items} onClick={() => setDrawer(false)} style={{ borderInlineEnd: 0 }} />
    </nav>
  );
  const brand = (
    <Link to="/" style={{ display: 'flex', alignItems: 'center', gap: 8, padding: '16px 20px', fontWeight: 600, fontSize: 18, color: 'inherit' }}>
      <AppstoreOutlined style={{ color: '#1677ff' }} />
      {!collapsed || mobile ? 'APIGPT' : null}
    </Link>
  );

  const userMenu: MenuProps = {
    items: [
      { key: 'email', label: user?.email, disabled: true, icon: <UserOutlined /> },
      { type: 'divider' },
      { key: 'password', label: t('auth.changePassword'), icon: <LockOutlined /> },
      { key: 'two-factor', label: t('tf.menu'), icon: <SafetyOutlined /> },
      { key: 'logout', label: t('auth.logout'), icon: <LogoutOutlined />, danger: true },
    ],
    onClick: async ({ key }) => {
      if (key === 'password') setPasswordOpen(true);
      if (key === 'two-factor') navigate('/account/two-factor');
      if (key === 'logout') {
        await logout();
        navigate('/login');
      }
    },
  };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <ChangePasswordModal open={passwordOpen} onClose={() => setPasswordOpen(false)} />
      {mobile ? (
        <Drawer placement="left" open={drawer} onClose={() => setDrawer(false)} size={260} styles={{ body: { padding: 0 } }} title="APIGPT">
          {menu}
        </Drawer>
      ) : (
        <Layout.Sider theme="light" collapsible collapsed={collapsed} onCollapse={setCollapsed} width={220} style={{ borderInlineEnd: `1px solid ${token.colorBorderSecondary}` }}>
          {brand}
          {menu}
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header style={{ background: token.colorBgContainer, padding: mobile ? '0 12px' : '0 24px', display: 'flex', alignItems: 'center', justifyContent: 'space-between', borderBottom: `1px solid ${token.colorBorderSecondary}` }}>
          <Space>
            {mobile && <Button type="text" icon={<MenuOutlined />} aria-label={t('nav.menu')} onClick={() => setDrawer(true)} />}
            {mobile && <Typography.Text strong>APIGPT</Typography.Text>}
          </Space>
          <Space size={mobile ? 4 : 12}>
            <LanguageSwitch />
            <ThemeSwitch />
            <Dropdown menu={userMenu} placement="bottomRight" trigger={['click']}>
              <Button type="text" icon={<UserOutlined />} data-testid="user-menu" aria-label={mobile ? user?.email : undefined}>
                {mobile ? null : user?.display_name || user?.email}
              </Button>
            </Dropdown>
          </Space>
        </Layout.Header>
        <VerifyBanner />
        <Layout.Content style={{ padding: mobile ? 12 : 24, maxWidth: 1400, width: '100%', margin: '0 auto' }}>
          {/* Pages load lazily; the frame stays put while one does. */}
          <Suspense fallback={<Spin size="large" style={{ display: 'block', margin: '80px auto' }} />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
