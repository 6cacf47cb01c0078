import type { FormInstance } from 'antd';

/**
 * Validates a form for a dialog's OK button. antd rejects with the field errors, which it already
 * shows under each field, so a failed validation is just "not yet" and must not become an
 * unhandled rejection.
 */
export async function validated<T>(form: FormInstance<T>): Promise<T | null> {
  try {
    return await form.validateFields();
  } catch {
    return null;
  }
}
