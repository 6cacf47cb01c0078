import { useParams } from 'react-router-dom';
import { support } from '../../api/support';
import { TicketThreadView } from '../../components/TicketThreadView';
import { notifyUnreadChanged } from '../../layout/SupportBadge';

/** One of the user's tickets. Reading it marks the replies read (the menu's badge follows). */
export default function Ticket() {
  const { id = '' } = useParams();
  const load = async (ticketId: string) => {
    const th = await support.thread(ticketId);
    notifyUnreadChanged();
    return th;
  };
  return <TicketThreadView id={id} side="user" load={load} reply={support.reply} close={support.close} backTo="/support" onChange={notifyUnreadChanged} />;
}
