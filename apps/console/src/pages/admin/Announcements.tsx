import { useState } from 'react';
import { App as AntApp, Button, Card, Col, Form, Input, Popconfirm, Row, Select, Space, Switch, Table, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { adminSupport, type Announcement, type AnnouncementInput } from '../../api/support';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { FormModal } from '../../components/FormModal';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { dateTime } from '../../lib/format';
import { useAction } from '../../lib/useAction';
import { useAsync } from '../../lib/useAsync';

const LEVEL_COLOR = { info: 'blue', success: 'green', warning: 'orange' } as const;

/** Announcements on users' dashboards: written in both languages, drafts until published. */
export default function Announcements() {
  const { t, locale } = useI18n();
  const { message } = AntApp.useApp();
  const list = useAsync(() => adminSupport.announcements(), []);
  const [editing, setEditing] = useState<Announcement | 'new' | null>(null);
  const [form] = Form.useForm<AnnouncementInput>();
  const action = useAction();
  const rowAction = useAction();

  const open = (a: Announcement | 'new') => {
    setEditing(a);
    form.setFieldsValue(
      a === 'new'
        ? { level: 'info', titleEn: '', titleZh: '', bodyEn: '', bodyZh: '', published: true }
        : { level: a.level, titleEn: a.title.en, titleZh: a.title['zh-CN'], bodyEn: a.body.en, bodyZh: a.body['zh-CN'], published: a.published },
    );
  };
  const submit = async (v: AnnouncementInput) => {
    if (editing === 'new') await adminSupport.createAnnouncement(v);
    else if (editing) await adminSupport.updateAnnouncement(editing.id, v);
    setEditing(null);
    message.success(t('common.saved'));
    list.reload();
  };
  const change = (fn: () => Promise<unknown>) =>
    rowAction.run(async () => {
      await fn();
      list.reload();
    });

  return (
    <>
      <PageHeader
        title={t('announcements.title')}
        subtitle={t('announcements.subtitle')}
        extra={
          <Button type="primary" icon={<PlusOutlined />} onClick={() => open('new')}>
            {t('announcements.new')}
          </Button>
        }
      />
      <ErrorAlert error={list.error ?? rowAction.error} />
      <Card size="small" styles={{ body: { padding: 0 } }}>
        <Table<Announcement>
          size="small"
          rowKey="id"
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          locale={{ emptyText: <EmptyHint text={t('announcements.empty')} /> }}
          scroll={{ x: 760 }}
          pagination={false}
          columns={[
            { title: t('announcements.level'), dataIndex: 'level', width: 110, render: (l: Announcement['level']) => <Tag color={LEVEL_COLOR[l]}>{t(`announcements.level.${l}`)}</Tag> },
            { title: t('announcements.titleZh'), render: (_: unknown, a) => a.title['zh-CN'] },
            { title: t('announcements.titleEn'), render: (_: unknown, a) => a.title.en },
            { title: t('common.status'), dataIndex: 'published', width: 100, render: (p: boolean) => (p ? <Tag color="green">{t('announcements.published')}</Tag> : <Tag>{t('announcements.draft')}</Tag>) },
            { title: t('support.updated'), dataIndex: 'updatedAt', width: 170, render: (v: number) => dateTime(v, locale) },
            {
              title: '',
              width: 230,
              render: (_: unknown, a) => (
                <Space size={4} wrap>
                  <Button size="small" onClick={() => open(a)}>
                    {t('common.edit')}
                  </Button>
                  <Button size="small" onClick={() => change(() => adminSupport.updateAnnouncement(a.id, { published: !a.published }))}>
                    {a.published ? t('announcements.unpublish') : t('announcements.publish')}
                  </Button>
                  <Popconfirm title={t('announcements.deleteConfirm')} onConfirm={() => change(() => adminSupport.removeAnnouncement(a.id))}>
                    <Button size="small" danger>
                      {t('announcements.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <FormModal form={form} action={action} onSubmit={submit} open={editing !== null} onCancel={() => setEditing(null)} title={editing === 'new' ? t('announcements.new') : t('announcements.edit')} width={720}>
        <Form form={form} layout="vertical">
          <Row gutter={16}>
            <Col xs={24} sm={12}>
              <Form.Item name="level" label={t('announcements.level')}>
                <Select options={(['info', 'success', 'warning'] as const).map((l) => ({ value: l, label: t(`announcements.level.${l}`) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12}>
              <Form.Item name="published" label={t('announcements.published')} valuePropName="checked">
                <Switch />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12}>
              <Form.Item name="titleZh" label={t('announcements.titleZh')} rules={[{ required: true, whitespace: true, max: 200 }]}>
                <Input maxLength={200} />
              </Form.Item>
              <Form.Item name="bodyZh" label={t('announcements.bodyZh')} rules={[{ required: true, whitespace: true, max: 5000 }]}>
                <Input.TextArea autoSize={{ minRows: 3, maxRows: 10 }} maxLength={5000} />
              </Form.Item>
            </Col>
            <Col xs={24} sm={12}>
              <Form.Item name="titleEn" label={t('announcements.titleEn')} rules={[{ required: true, whitespace: true, max: 200 }]}>
                <Input maxLength={200} />
              </Form.Item>
              <Form.Item name="bodyEn" label={t('announcements.bodyEn')} rules={[{ required: true, whitespace: true, max: 5000 }]}>
                <Input.TextArea autoSize={{ minRows: 3, maxRows: 10 }} maxLength={5000} />
              </Form.Item>
            </Col>
          </Row>
        </Form>
      </FormModal>
    </>
  );
}
