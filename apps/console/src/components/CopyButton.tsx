import { App, Button } from 'antd';
import { CheckOutlined, CopyOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { useT } from '../i18n';

/** Copies text; falls back to a hidden textarea where the async clipboard API is unavailable (plain HTTP). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // permission denied: try the old way below
    }
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  const ok = document.execCommand('copy');
  ta.remove();
  if (!ok) throw new Error('copy failed');
}

export function CopyButton({ text, label, size, type, testId }: { text: string; label?: string; size?: 'small' | 'middle'; type?: 'primary' | 'default' | 'text'; testId?: string }) {
  const t = useT();
  const { message } = App.useApp();
  const [done, setDone] = useState(false);
  return (
    <Button
      size={size}
      type={type}
      icon={done ? <CheckOutlined /> : <CopyOutlined />}
      aria-label={label ?? t('common.copy')}
      data-testid={testId}
      onClick={async () => {
        try {
          await copyText(text);
          setDone(true);
          message.success(t('common.copied'));
          setTimeout(() => setDone(false), 1500);
        } catch {
          message.error(t('common.copyFailed'));
        }
      }}
    >
      {label ?? t('common.copy')}
    </Button>
  );
}
