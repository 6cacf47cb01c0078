import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { admin, usage } from '../../api/endpoints';
import { LogsView } from '../../components/LogsView';
import { useT } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { useAsync } from '../../lib/useAsync';

/** Every user's requests (admin only; the API refuses anyone else). */
export default function AllLogs() {
  const t = useT();
  // The overview's top accounts link here with `?email=`.
  const [params] = useSearchParams();
  const models = useAsync(() => usage.models(), []);
  const modelIds = useMemo(() => models.data?.items.map((m) => m.id) ?? [], [models.data]);
  return (
    <>
      <PageHeader title={t('nav.allLogs')} subtitle={t('admin.logsSubtitle')} />
      <LogsView fetch={admin.logs} models={modelIds} admin initialEmail={params.get('email') ?? undefined} />
    </>
  );
}
