import { Space, Tag, Typography } from 'antd';
import { safety, type SafetyRule } from '../api/safety';
import { useI18n, type MessageKey, type Translate } from '../i18n';
import { useAsync } from '../lib/useAsync';

type Action = 'block' | 'mask' | 'flag';
const ACTION_COLOR: Record<Action, string> = { block: 'red', mask: 'orange', flag: 'blue' };

/** A content-safety action as a coloured tag, in the reader's language. */
export const actionTag = (a: string, t: Translate) => <Tag color={ACTION_COLOR[a as Action] ?? 'default'}>{t(`safety.action.${a}` as MessageKey)}</Tag>;

/** A rule's or a moderation category's name, from the id a decision names. */
export function ruleName(id: string, rules: readonly Pick<SafetyRule, 'id' | 'name'>[], t: Translate): string {
  if (id === 'moderation/unavailable') return t('safety.moderationDown');
  if (id.startsWith('moderation/')) return t('safety.moderationCategory', { category: id.slice('moderation/'.length) });
  return rules.find((r) => r.id === id)?.name ?? id;
}

/**
 * One call's content-safety decisions in the admin's request log (the rules' and the moderation
 * model's, on input and output): which rule, which action, which side. Never the text.
 */
export function CallDecisions({ requestId }: { requestId: string }) {
  const { t } = useI18n();
  const decisions = useAsync(() => safety.callDecisions(requestId), [requestId]);
  const rules = useAsync(() => safety.rules(), []);
  const items = decisions.data?.items ?? [];
  if (decisions.loading || decisions.error || items.length === 0) return null;
  return (
    <div data-testid="call-decisions">
      <Typography.Text type="secondary">{t('safety.callDecisions')}: </Typography.Text>
      <Space size={4} wrap>
        {items.map((d) => (
          <span key={d.id}>
            {ruleName(d.ruleId, rules.data?.items ?? [], t)} {actionTag(d.action, t)}
            <Typography.Text type="secondary">({t(`safety.direction.${d.direction}` as MessageKey)})</Typography.Text>
          </span>
        ))}
      </Space>
    </div>
  );
}
