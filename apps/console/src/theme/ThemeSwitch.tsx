import type { ReactNode } from 'react';
import { Button, Dropdown, type MenuProps } from 'antd';
import { BulbOutlined, DesktopOutlined, MoonOutlined, SunOutlined } from '@ant-design/icons';
import { useConsoleT } from '../i18n/console-quality';
import { useTheme, type ThemeChoice } from '.';

const ICONS: Record<ThemeChoice, ReactNode> = { system: <DesktopOutlined />, light: <SunOutlined />, dark: <MoonOutlined /> };

/** The header's theme menu: follow the system, or always light, or always dark. */
export function ThemeSwitch() {
  const t = useConsoleT();
  const { choice, scheme, setChoice } = useTheme();
  const items: MenuProps['items'] = (['system', 'light', 'dark'] as const).map((c) => ({ key: c, icon: ICONS[c], label: t(`theme.${c}`), 'data-testid': `theme-${c}` }));
  return (
    <Dropdown trigger={['click']} placement="bottomRight" menu={{ items, selectable: true, selectedKeys: [choice], onClick: ({ key }) => setChoice(key as ThemeChoice) }}>
      <Button type="text" icon={scheme === 'dark' ? <MoonOutlined /> : <BulbOutlined />} aria-label={t('theme.label', { current: t(`theme.${choice}`) })} data-testid="theme-switch" />
    </Dropdown>
  );
}
