import { useParams } from 'react-router-dom';
import { adminSupport } from '../../api/support';
import { TicketThreadView } from '../../components/TicketThreadView';
import { notifyUnreadChanged } from '../../layout/SupportBadge';

/** A ticket as admins see it: the user's thread, the call it is about, the answer box. */
export default function SupportTicket() {
  const { id = '' } = useParams();
  const load = async (ticketId: string) => {
    const th = await adminSupport.thread(ticketId);
    notifyUnreadChanged();
    return th;
  };
  return <TicketThreadView id={id} side="admin" load={load} reply={adminSupport.reply} close={adminSupport.close} backTo="/admin/support" onChange={notifyUnreadChanged} />;
}
