import { Anchor, Button, Card, Col, Grid, Row, Space } from 'antd';
import { ApiOutlined, ExportOutlined } from '@ant-design/icons';
import { useBaseUrl } from '../auth/session';
import { Markdown } from '../components/Markdown';
import { useI18n, type MessageKey } from '../i18n';
import { PageHeader } from '../layout/PageHeader';

const SECTIONS: { id: string; title: MessageKey; body: MessageKey }[] = [
  { id: 'quick-start', title: 'docs.quickStart', body: 'docs.quickStartBody' },
  { id: 'providers', title: 'docs.providers', body: 'docs.providersBody' },
  { id: 'dialects', title: 'docs.dialects', body: 'docs.dialectsBody' },
  { id: 'sdks', title: 'docs.sdks', body: 'docs.sdksBody' },
  { id: 'agents', title: 'docs.agents', body: 'docs.agentsBody' },
  { id: 'errors', title: 'docs.errors', body: 'docs.errorsBody' },
  { id: 'billing', title: 'docs.billing', body: 'docs.billingBody' },
];

/** The user manual (from the dictionaries, so it follows the language) and the live API reference. */
export default function Docs() {
  const { t } = useI18n();
  const baseUrl = useBaseUrl();
  const screens = Grid.useBreakpoint();
  return (
    <>
      <PageHeader
        title={t('docs.title')}
        subtitle={t('docs.subtitle')}
        extra={
          <Space wrap>
            <Button icon={<ApiOutlined />} href="/api/docs" target="_blank">
              {t('docs.apiReference')} <ExportOutlined />
            </Button>
            <Button href="/api/openapi.json" target="_blank">
              OpenAPI JSON
            </Button>
          </Space>
        }
      />
      <Row gutter={24}>
        <Col xs={24} lg={18}>
          {SECTIONS.map((s) => (
            <Card key={s.id} id={s.id} title={t(s.title)} style={{ marginBottom: 16 }}>
              <Markdown text={t(s.body, { baseUrl })} />
            </Card>
          ))}
          <Card id="api-reference" title={t('docs.apiReference')}>
            {/* Swagger UI of /api/openapi.json, served by the gateway itself. */}
            <iframe src="/api/docs" title={t('docs.apiReference')} style={{ width: '100%', height: 720, border: 0 }} />
          </Card>
        </Col>
        {screens.lg && (
          <Col lg={6}>
            <Anchor offsetTop={24} items={[...SECTIONS.map((s) => ({ key: s.id, href: `#${s.id}`, title: t(s.title) })), { key: 'api', href: '#api-reference', title: t('docs.apiReference') }]} />
          </Col>
        )}
      </Row>
    </>
  );
}
