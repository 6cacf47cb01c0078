import { Alert, Flex, Input, Modal, Typography } from 'antd';
import type { Model, NewKey } from '../../api/types';
import { CodeSamples } from '../../components/CodeSamples';
import { CopyButton } from '../../components/CopyButton';
import { useT } from '../../i18n';

/** The only moment a key is visible: the server keeps just its hash, so this dialog says so plainly. */
export function KeyReveal({ created, baseUrl, models, onClose }: { created: NewKey | null; baseUrl: string; models: readonly Model[] | undefined; onClose(): void }) {
  const t = useT();
  return (
    <Modal open={!!created} title={t('keys.revealTitle')} onCancel={onClose} onOk={onClose} okText={t('keys.revealDone')} cancelButtonProps={{ style: { display: 'none' } }} width={760} destroyOnHidden>
      {created && (
        <Flex vertical gap={16}>
          <Alert type="warning" showIcon title={t('keys.revealWarning')} />
          <Flex gap={8}>
            <Input readOnly value={created.key} data-testid="new-key" style={{ fontFamily: 'monospace' }} onFocus={(e) => e.target.select()} />
            <CopyButton text={created.key} type="primary" testId="copy-key" />
          </Flex>
          <Typography.Text strong>{t('keys.tryIt')}</Typography.Text>
          <CodeSamples baseUrl={baseUrl} apiKey={created.key} models={models} />
        </Flex>
      )}
    </Modal>
  );
}
