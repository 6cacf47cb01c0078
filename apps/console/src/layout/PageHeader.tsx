import { Flex, Typography } from 'antd';
import type { ReactNode } from 'react';
import { usePageTitle } from './usePageTitle';

/**
 * A page's title (its one `<h1>`, and the tab's title), a one-line explanation and its main
 * actions, wrapping on narrow screens. `docTitle` names the tab when the title is not plain text.
 */
export function PageHeader({ title, subtitle, extra, docTitle }: { title: ReactNode; subtitle?: ReactNode; extra?: ReactNode; docTitle?: string }) {
  usePageTitle(docTitle ?? title);
  return (
    <Flex justify="space-between" align="flex-start" wrap gap={12} style={{ marginBottom: 16 }}>
      <div style={{ minWidth: 0 }}>
        {/* The heading level is the page's outline (h1); its size stays that of a section title. */}
        <Typography.Title level={1} style={{ margin: 0, fontSize: 24, lineHeight: 1.35 }}>
          {title}
        </Typography.Title>
        {subtitle && <Typography.Text type="secondary">{subtitle}</Typography.Text>}
      </div>
      {extra && <Flex gap={8} wrap>{extra}</Flex>}
    </Flex>
  );
}
