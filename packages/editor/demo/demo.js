// The demo page's own script (a file, not inline: the gateway serves pages with script-src 'self').
const TEXT = {
  en: {
    title: 'AGIEditor',
    intro: "A rich-text editor with AI writing and image generation, served by this gateway. Paste a browser key (restricted to this page's origin), then select text and pick a command in the AI panel.",
    gateway: 'Gateway', key: 'API key', model: 'Model', imageModel: 'Image model', lang: 'Language', theme: 'Theme', light: 'Light', dark: 'Dark', apply: 'Apply',
    keyHint: 'The key is kept in this tab only (sessionStorage). Make a browser key in the console: Keys → limits → allowed origins, models, credit limit and rate limit.',
    exportMd: 'Export Markdown', exportHtml: 'Export HTML', importMd: 'Import Markdown ↓', events: 'Events',
  },
  'zh-CN': {
    title: 'AGIEditor 编辑器',
    intro: '带 AI 写作与图片生成的富文本编辑器，由本网关提供。粘贴一个浏览器密钥（限定本页面来源），选中文字后在 AI 面板中选择命令。',
    gateway: '网关', key: 'API 密钥', model: '模型', imageModel: '图片模型', lang: '语言', theme: '主题', light: '浅色', dark: '深色', apply: '应用',
    keyHint: '密钥仅保存在本标签页（sessionStorage）。在控制台创建浏览器密钥：密钥 → 限制 → 允许的来源、模型、额度上限和速率限制。',
    exportMd: '导出 Markdown', exportHtml: '导出 HTML', importMd: '导入 Markdown ↓', events: '事件',
  },
};

const editor = document.getElementById('editor');
const form = document.getElementById('settings');
const fields = ['base-url', 'api-key', 'model', 'image-model', 'lang', 'theme'];
const saved = JSON.parse(sessionStorage.getItem('agi-editor-demo') ?? '{}');
const initialLang = saved.lang ?? (navigator.language?.startsWith('zh') ? 'zh-CN' : 'en');
document.getElementById('base-url').value = saved['base-url'] ?? location.origin;
for (const f of fields) if (saved[f] !== undefined && f !== 'base-url') document.getElementById(f).value = saved[f];
document.getElementById('lang').value = initialLang;

function apply() {
  const values = Object.fromEntries(fields.map((f) => [f, document.getElementById(f).value.trim()]));
  sessionStorage.setItem('agi-editor-demo', JSON.stringify(values));
  for (const [k, v] of Object.entries(values)) {
    if (v) editor.setAttribute(k, v);
    else editor.removeAttribute(k);
  }
  const t = TEXT[values.lang] ?? TEXT.en;
  document.documentElement.lang = values.lang || 'en';
  document.title = t.title;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t[el.dataset.i18n];
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  apply();
});
apply();

const io = document.getElementById('io');
document.getElementById('export-md').addEventListener('click', () => (io.value = editor.getMarkdown()));
document.getElementById('export-html').addEventListener('click', () => (io.value = editor.getHTML()));
document.getElementById('import-md').addEventListener('click', () => editor.setContent(io.value, 'markdown'));

const log = document.getElementById('events');
for (const type of ['ai-start', 'ai-done', 'ai-error', 'ai-accept', 'ai-discard']) {
  editor.addEventListener(type, (e) => {
    const { text, ...rest } = e.detail ?? {};
    const li = document.createElement('li');
    li.textContent = `${new Date().toLocaleTimeString()} ${type} ${JSON.stringify(rest)}`;
    li.dataset.type = type;
    log.prepend(li);
  });
}
