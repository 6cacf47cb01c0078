import { useEffect, useState } from 'react';
import { Badge } from 'antd';
import { adminSupport, support } from '../api/support';

const EVENT = 'apigpt:support-unread';
const POLL_MS = 60_000;

/** Pages that read or answer a ticket call this, so the menu's count follows at once. */
export function notifyUnreadChanged(): void {
  window.dispatchEvent(new Event(EVENT));
}

/**
 * The number of tickets with a reply this side has not read, next to a menu entry: asked when the
 * console loads, every minute, and whenever a page says it changed.
 */
export function SupportBadge({ admin }: { admin?: boolean }) {
  const [count, setCount] = useState(0);
  useEffect(() => {
    let live = true;
    const load = () =>
      (admin ? adminSupport.unread() : support.unread()).then(
        (r) => live && setCount(r.count),
        () => undefined, // an older server without support, or a blip: no badge
      );
    void load();
    const timer = window.setInterval(load, POLL_MS);
    window.addEventListener(EVENT, load);
    return () => {
      live = false;
      window.clearInterval(timer);
      window.removeEventListener(EVENT, load);
    };
  }, [admin]);
  return <Badge count={count} size="small" offset={[6, -2]} data-testid={admin ? 'support-unread-admin' : 'support-unread'} />;
}
