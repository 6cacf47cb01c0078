import { useMemo } from 'react';
import { admin, usage } from '../../api/endpoints';
import { LogsView } from '../../components/LogsView';
import { useT } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { useAsync } from '../../lib/useAsync';

/** Every user's requests (admin only; the API refuses anyone else). */
export default function AllLogs() {
  const t = useT();
  const models = useAsync(() => usage.models(), []);
  const modelIds = useMemo(() => models.data?.items.map((m) => m.id) ?? [], [models.data]);
  return (
    <>
      <PageHeader title={t('nav.allLogs')} subtitle={t('admin.logsSubtitle')} />
      <LogsView fetch={admin.logs} models={modelIds} admin />
    </>
  );
}
