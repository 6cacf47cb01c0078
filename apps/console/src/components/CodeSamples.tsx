import { Alert, Flex, Select, Tabs, Typography } from 'antd';
import { useMemo, useState } from 'react';
import type { Model } from '../api/types';
import { useT } from '../i18n';
import { codeSamples, embeddingSample, imageSample, PLACEHOLDER_MODEL, type Sample } from '../lib/codeSamples';
import { modelsFor } from '../lib/capabilities';
import { CopyButton } from './CopyButton';

/**
 * The snippets as tabs, each with its own copy button, on a model that can serve them: the chat
 * samples offer only chat models (a picker chooses which), the image and embedding samples the
 * first model of their kind. Plain <pre>: no highlighter on this page.
 */
export function CodeSamples({ baseUrl, apiKey, models }: { baseUrl: string; apiKey: string; models: readonly Model[] | undefined }) {
  const t = useT();
  const chat = useMemo(() => modelsFor(models, 'chat'), [models]);
  const [picked, setPicked] = useState<string | null>(null);
  const model = picked && chat.includes(picked) ? picked : chat[0] ?? PLACEHOLDER_MODEL;
  const samples = useMemo(() => {
    const [curl, ...rest]: (Sample & { title: string })[] = codeSamples(baseUrl, apiKey, model).map((s) => ({ ...s, title: s.label }));
    const image = modelsFor(models, 'image')[0];
    const embedding = modelsFor(models, 'embedding')[0];
    // The other endpoints' curl next to the chat one, where the tab bar does not hide them.
    return [
      curl,
      ...(image ? [{ ...imageSample(baseUrl, apiKey, image), title: t('samples.image') }] : []),
      ...(embedding ? [{ ...embeddingSample(baseUrl, apiKey, embedding), title: t('samples.embedding') }] : []),
      ...rest,
    ];
  }, [baseUrl, apiKey, model, models, t]);
  return (
    <Flex vertical gap={8}>
      <Flex gap={8} align="center" wrap>
        <Typography.Text id="sample-model-label">{t('samples.model')}</Typography.Text>
        <Select
          aria-labelledby="sample-model-label"
          style={{ minWidth: 220 }}
          showSearch
          value={chat.length ? model : undefined}
          placeholder={PLACEHOLDER_MODEL}
          options={chat.map((m) => ({ value: m, label: m }))}
          onChange={setPicked}
          disabled={!chat.length}
          data-testid="sample-model"
        />
      </Flex>
      {models && !chat.length && <Alert type="info" showIcon title={t('samples.noChatModel')} />}
      <Tabs
        size="small"
        items={samples.map((s) => ({
          key: s.lang,
          label: s.title,
          children: (
            <Flex vertical gap={8}>
              <pre className="code-sample" data-testid={`sample-${s.lang}`}>
                {s.code}
              </pre>
              <div>
                <CopyButton text={s.code} size="small" />
              </div>
            </Flex>
          ),
        }))}
      />
    </Flex>
  );
}
