import { Tag } from 'antd';
import type { TicketStatus } from '../api/support';
import { useT } from '../i18n';

const COLORS: Record<TicketStatus, string> = { open: 'orange', answered: 'blue', closed: 'default' };

/** A ticket's state, worded for the side that reads it (the user waits for support; an admin has to answer). */
export function TicketStatusTag({ status, side }: { status: TicketStatus; side: 'user' | 'admin' }) {
  const t = useT();
  return (
    <Tag color={COLORS[status]} data-testid="ticket-status">
      {t(side === 'admin' ? `support.adminStatus.${status}` : `support.status.${status}`)}
    </Tag>
  );
}
