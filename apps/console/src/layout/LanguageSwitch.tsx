import { Segmented } from 'antd';
import { useI18n, type Locale } from '../i18n';

/** 中文 / EN toggle; the choice is remembered by the i18n provider. */
export function LanguageSwitch() {
  const { locale, setLocale } = useI18n();
  return (
    <Segmented<Locale>
      size="small"
      value={locale}
      onChange={setLocale}
      options={[
        { label: '中文', value: 'zh-CN' },
        { label: 'EN', value: 'en' },
      ]}
      data-testid="language-switch"
    />
  );
}
