import { Flex, Tabs } from 'antd';
import { useMemo } from 'react';
import { codeSamples } from '../lib/codeSamples';
import { CopyButton } from './CopyButton';

/** The snippets as tabs, each with its own copy button. Plain <pre>: no highlighter on this page. */
export function CodeSamples({ baseUrl, apiKey, model }: { baseUrl: string; apiKey: string; model: string }) {
  const samples = useMemo(() => codeSamples(baseUrl, apiKey, model), [baseUrl, apiKey, model]);
  return (
    <Tabs
      size="small"
      items={samples.map((s) => ({
        key: s.lang,
        label: s.label,
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
  );
}
