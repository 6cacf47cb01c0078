import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, Card, Col, Form, Image, Input, InputNumber, Progress, Row, Select, Slider, Typography } from 'antd';
import { DownloadOutlined, PictureOutlined, StopOutlined } from '@ant-design/icons';
import { ApiError } from '../../api/client';
import { usage } from '../../api/endpoints';
import { EmptyHint } from '../../components/EmptyHint';
import { ErrorAlert } from '../../components/ErrorAlert';
import { useI18n } from '../../i18n';
import { PageHeader } from '../../layout/PageHeader';
import { downloadBlob, money } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { costOf, generateImages } from './relay';
import type { Model } from '../../api/types';
import { modelsFor } from '../../lib/capabilities';

/** Sizes offered for a model that takes any size (Stable Diffusion WebUI, Stability v2beta). */
const ANY_SIZE = ['512x512', '768x768', '1024x1024', '1024x1792', '1792x1024'];

/** The sizes the chosen model accepts (from /api/models); the provider's own order, its default first. */
function sizesOf(m: Model | undefined): string[] {
  return m?.imageSizes ?? ANY_SIZE;
}

/** 512x512 where the model takes it (quick to make and to pay for), else the model's first size. */
const defaultSize = (sizes: string[]) => (sizes.includes('512x512') ? '512x512' : sizes[0]);

interface Values {
  model?: string;
  prompt: string;
  negative_prompt?: string;
  size: string;
  n: number;
  steps: number;
}

interface Shot {
  src: string;
  prompt: string;
  revised?: string;
}

/** Text-to-image through /v1/images/generations, billed to the Playground app like the chat. */
export default function ImagePlayground() {
  const { t } = useI18n();
  const models = useAsync(() => usage.models(), []);
  const imageModels = useMemo(() => modelsFor(models.data?.items, 'image'), [models.data]);
  const [form] = Form.useForm<Values>();
  const chosen = Form.useWatch('model', form);
  const sizes = useMemo(() => sizesOf(models.data?.items.find((m) => m.id === chosen)), [models.data, chosen]);
  // The first image model is picked for the user: without a model the server falls back to
  // OpenAI's default (dall-e-2), which a gateway without OpenAI does not serve.
  useEffect(() => {
    if (imageModels.length && !form.getFieldValue('model')) form.setFieldsValue({ model: imageModels[0] });
  }, [imageModels, form]);
  // Only sizes the chosen model accepts are offered: a size it refuses is replaced by its first one.
  useEffect(() => {
    if (!sizes.includes(form.getFieldValue('size'))) form.setFieldsValue({ size: defaultSize(sizes) });
  }, [sizes, form]);
  const [busy, setBusy] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  const [error, setError] = useState<unknown>();
  const [shots, setShots] = useState<Shot[]>([]);
  const [cost, setCost] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);

  async function generate(v: Values) {
    setBusy(true);
    setError(undefined);
    setCost(null);
    setElapsed(0);
    const started = Date.now();
    // Image calls take seconds to minutes; a ticking timer shows the request is alive.
    const timer = setInterval(() => setElapsed(Math.round((Date.now() - started) / 1000)), 500);
    const ctrl = new AbortController();
    abort.current = ctrl;
    try {
      const r = await generateImages({ model: v.model || undefined, prompt: v.prompt.trim(), negative_prompt: v.negative_prompt?.trim() || undefined, size: v.size, n: v.n, steps: v.steps }, ctrl.signal);
      const fresh = r.images.map((img) => ({ src: img.b64_json ? `data:image/png;base64,${img.b64_json}` : img.url ?? '', prompt: v.prompt, revised: img.revised_prompt })).filter((s) => s.src);
      if (!fresh.length) throw new Error(t('image.noImages'));
      setShots((s) => [...fresh, ...s].slice(0, 40));
      setCost(await costOf(r.requestId));
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError(e);
    } finally {
      clearInterval(timer);
      setBusy(false);
      abort.current = null;
    }
  }

  // Only an unknown route means "not deployed"; a 404 for an unknown model is a real error to show.
  const notBuilt = error instanceof ApiError && error.missing;

  return (
    <>
      <PageHeader title={t('image.title')} subtitle={t('image.subtitle')} />
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={9} xl={8}>
          <Card>
            <Form<Values> form={form} layout="vertical" onFinish={generate} initialValues={{ size: '512x512', n: 1, steps: 20 }} requiredMark={false} disabled={busy}>
              <Form.Item name="model" label={t('common.model')} extra={t('image.modelHelp')}>
                <Select allowClear showSearch placeholder={t('image.defaultModel')} loading={models.loading} options={imageModels.map((m) => ({ value: m, label: m }))} data-testid="image-model" notFoundContent={t('image.noModels')} />
              </Form.Item>
              <Form.Item name="prompt" label={t('image.prompt')} rules={[{ required: true, whitespace: true, message: t('image.promptRequired') }, { max: 4000 }]}>
                <Input.TextArea rows={4} placeholder={t('image.promptPlaceholder')} data-testid="image-prompt" />
              </Form.Item>
              <Form.Item name="negative_prompt" label={t('image.negative')}>
                <Input.TextArea rows={2} placeholder={t('image.negativePlaceholder')} />
              </Form.Item>
              <Row gutter={8}>
                <Col span={14}>
                  <Form.Item name="size" label={t('image.size')} tooltip={t('image.sizeHelp')}>
                    <Select options={sizes.map((s) => ({ value: s, label: s }))} data-testid="image-size" />
                  </Form.Item>
                </Col>
                <Col span={10}>
                  <Form.Item name="n" label={t('image.count')} rules={[{ required: true }]}>
                    <InputNumber min={1} max={4} precision={0} style={{ width: '100%' }} />
                  </Form.Item>
                </Col>
              </Row>
              <Form.Item name="steps" label={t('image.steps')} extra={t('image.stepsHelp')}>
                <Slider min={1} max={150} ariaLabelForHandle={t('image.steps')} />
              </Form.Item>
              {busy ? (
                <Button danger block icon={<StopOutlined />} disabled={false} onClick={() => abort.current?.abort()}>
                  {t('chat.stop')}
                </Button>
              ) : (
                <Button type="primary" htmlType="submit" block icon={<PictureOutlined />} data-testid="image-generate">
                  {t('image.generate')}
                </Button>
              )}
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={15} xl={16}>
          <Card title={t('image.results')} extra={cost !== null && <Typography.Text type="secondary" data-testid="image-cost">{t('image.lastCost', { cost: money(cost) })}</Typography.Text>}>
            {busy && (
              <div style={{ marginBottom: 16 }}>
                <Progress percent={100} status="active" showInfo={false} />
                <Typography.Text type="secondary">{t('image.working', { s: elapsed })}</Typography.Text>
              </div>
            )}
            {!models.loading && !imageModels.length && !models.error && <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('image.noModels')} />}
            {notBuilt ? <Alert type="info" showIcon title={t('image.notAvailable')} description={(error as Error).message} /> : <ErrorAlert error={error} style={{ marginBottom: 16 }} />}
            {!shots.length && !busy ? (
              <EmptyHint text={t('image.empty')} />
            ) : (
              <Image.PreviewGroup>
                <Row gutter={[12, 12]} data-testid="image-grid">
                  {shots.map((s, i) => (
                    <Col xs={12} md={8} key={`${i}-${s.src.slice(-24)}`}>
                      <Card size="small" cover={<Image src={s.src} alt={s.prompt} style={{ aspectRatio: '1', objectFit: 'cover' }} />} styles={{ body: { padding: 8 } }}>
                        <Button size="small" block icon={<DownloadOutlined />} href={s.src} download={fileName(i)} onClick={(e) => download(e, s.src, i)} data-testid="image-download">
                          {t('image.download')}
                        </Button>
                      </Card>
                    </Col>
                  ))}
                </Row>
              </Image.PreviewGroup>
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}

const fileName = (i: number) => `apigpt-image-${i + 1}.png`;

/**
 * Data URLs and same-origin links (the gateway's own `/files/images/...`) download through the
 * link's `download` attribute as they are. A link on another host ignores that attribute, so it is
 * fetched and saved as a blob instead; if even that is refused (CORS), it opens in a new tab.
 */
async function download(e: React.MouseEvent, src: string, i: number) {
  if (src.startsWith('data:') || new URL(src, location.href).origin === location.origin) return;
  e.preventDefault();
  try {
    const res = await fetch(src);
    if (!res.ok) throw new Error(String(res.status));
    downloadBlob(fileName(i), await res.blob());
  } catch {
    window.open(src, '_blank', 'noopener');
  }
}
