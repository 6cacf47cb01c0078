import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { apps, keys, usage } from '../api/endpoints';
import { LogsView } from '../components/LogsView';
import { useT } from '../i18n';
import { PageHeader } from '../layout/PageHeader';
import { useAsync } from '../lib/useAsync';

/** The user's own request log (the API scopes it to the session's user). */
export default function Usage() {
  const t = useT();
  const [params] = useSearchParams();
  const appList = useAsync(() => apps.list(), []);
  const keyList = useAsync(() => keys.list(), []);
  const models = useAsync(() => usage.models(), []);
  const modelIds = useMemo(() => models.data?.items.map((m) => m.id) ?? [], [models.data]);
  const status = params.get('status');
  return (
    <>
      <PageHeader title={t('logs.title')} subtitle={t('logs.subtitle')} />
      <LogsView
        fetch={usage.logs}
        apps={appList.data?.items ?? []}
        keys={keyList.data?.items ?? []}
        models={modelIds}
        initialStatus={status === 'error' || status === 'ok' ? status : undefined}
      />
    </>
  );
}
