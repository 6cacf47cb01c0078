import type { ReactNode } from 'react';
import { Modal, type FormInstance, type ModalProps } from 'antd';
import { useI18n } from '../i18n';
import { validated } from '../lib/forms';
import type { useAction } from '../lib/useAction';
import { ErrorAlert } from './ErrorAlert';

type FormModalProps<T> = Omit<ModalProps, 'onOk' | 'confirmLoading' | 'children'> & {
  form: FormInstance<T>;
  /** The dialog's `useAction()`: its busy state and the server's refusal, shown above the form. */
  action: ReturnType<typeof useAction>;
  /** Runs with the validated values; an error it throws stays in the dialog. */
  onSubmit(values: T): Promise<void>;
  children: ReactNode;
};

/** A dialog around a form: OK validates the fields, then submits with a busy button. */
export function FormModal<T>({ form, action, onSubmit, children, okText, ...modal }: FormModalProps<T>) {
  const t = useI18n().t;
  return (
    <Modal
      okText={okText ?? t('common.save')}
      confirmLoading={action.busy}
      destroyOnHidden
      forceRender
      {...modal}
      onOk={async () => {
        const v = await validated(form);
        if (!v) return;
        await action.run(() => onSubmit(v));
      }}
    >
      <ErrorAlert error={action.error} style={{ marginBottom: 12 }} />
      {children}
    </Modal>
  );
}
