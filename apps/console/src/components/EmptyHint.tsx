import { Empty } from 'antd';
import type { ReactNode } from 'react';

/** An empty state that says what to do next, optionally with the button that does it. */
export function EmptyHint({ text, action }: { text: ReactNode; action?: ReactNode }) {
  return (
    <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={text}>
      {action}
    </Empty>
  );
}
