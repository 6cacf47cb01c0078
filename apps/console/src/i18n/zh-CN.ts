import { supportZh } from './support';
import { onboardingZh } from './onboarding';
import { safetyZh } from './safety';
import type { MessageKey } from './en';
import { auditZhCN } from './audit';
import { privacyZh } from './privacy';
import { rechargeZh } from './recharge';
import { twoFactorZhCN } from './twofactor';
import { modelsZhCN } from './models';
import { errorsZhCN } from './errors';

/** 简体中文。键集合由 en.ts 定义：缺少或多出一个键都是类型错误。 */
export const zhCN: Record<MessageKey, string> = {
  // 审计日志页面的文字（i18n/audit.ts）。
  ...auditZhCN,
  // 隐私保护（i18n/privacy.ts）。
  ...privacyZh,
  ...rechargeZh,
  // Support tickets, invitations and announcements (i18n/support.ts).
  ...supportZh,
  // 注册后的欢迎步骤（i18n/onboarding.ts）。
  ...onboardingZh,
  // 两步验证（i18n/twofactor.ts）。
  ...twoFactorZhCN,
  // 内容安全页面的文字（i18n/safety.ts）。
  ...safetyZh,
  // 模型与价格、示例的模型选择（i18n/models.ts）。
  ...modelsZhCN,
  // 服务器错误码与账单说明（i18n/errors.ts）。
  ...errorsZhCN,
  'nav.dashboard': '概览',
  'nav.integration': 'API 接入',
  'nav.usage': '调用日志',
  'nav.topup': '充值',
  'nav.chat': 'AIGC 对话',
  'nav.image': '图像生成',
  'nav.docs': '文档',
  'nav.admin': '管理',
  'nav.channels': '渠道',
  'nav.models': '定价与分组',
  'nav.users': '用户',
  'nav.codes': '兑换码',
  'nav.allLogs': '全部请求日志',
  'nav.settings': '系统设置',
  'nav.menu': '菜单',

  'common.copy': '复制',
  'common.copied': '已复制',
  'common.copyFailed': '复制失败，请手动选中文本复制。',
  'common.save': '保存',
  'common.saved': '已保存',
  'common.delete': '删除',
  'common.edit': '编辑',
  'common.rename': '重命名',
  'common.refresh': '刷新',
  'common.model': '模型',
  'common.requests': '请求数',
  'common.cost': '费用',
  'common.status': '状态',
  'common.viewAll': '查看全部',
  'common.yes': '是',
  'common.no': '否',

  'error.notAvailable': '此服务器暂未提供该功能。',
  'error.adminOnly': '此页面仅限管理员访问。',
  'error.pageNotFound': '该地址没有对应的页面。',
  'error.serviceUnavailable': '服务器暂时无法连接数据库，请 {seconds} 秒后重试。',

  'auth.login': '登录',
  'auth.signup': '注册',
  'auth.logout': '退出登录',
  'auth.changePassword': '修改密码',
  'auth.currentPassword': '当前密码',
  'auth.newPassword': '新密码',
  'auth.passwordChanged': '密码已修改，其他设备上的登录已退出。',
  'auth.email': '邮箱',
  'auth.password': '密码',
  'auth.confirmPassword': '确认密码',
  'auth.displayName': '昵称（可选）',
  'auth.emailRequired': '请输入邮箱地址。',
  'auth.emailInvalid': '邮箱格式不正确。',
  'auth.passwordRequired': '请输入密码。',
  'auth.passwordMin': '密码至少 8 个字符。',
  'auth.passwordMismatch': '两次输入的密码不一致。',
  'auth.loginTagline': '一个密钥，调用所有 AI 模型。登录你的控制台。',
  'auth.signupTagline': '创建账号：无需审核，试用额度立即到账。',
  'auth.signupClosed': '此服务器已关闭注册，请联系管理员开通账号。',
  'auth.haveAccount': '已有账号？',
  'auth.noAccount': '还没有账号？',
  'auth.loginLocked': '登录失败次数过多。为保护账号安全，请 {seconds} 秒后再试。',
  'auth.signupLimited': '您所在网络的注册次数过多，请 {seconds} 秒后再试。',

  'auth.signupTaglineMail': '创建账号：无需审核，确认邮箱后试用额度即到账。',
  'auth.passwordHint': '至少 8 个字符且不易被猜到，三四个互不相关的词就很好。',
  'auth.weakPassword': '密码太容易被猜到（常见密码、单词、姓名、日期、键盘序列或邮箱的一部分）。请使用更长的密码，例如三四个互不相关的词。',
  'auth.forgotPassword': '忘记密码？',
  'auth.forgotTitle': '重置密码',
  'auth.forgotIntro': '输入账号的邮箱地址，我们会发送一封带有设置新密码链接的邮件。',
  'auth.sendResetLink': '发送重置链接',
  'auth.resetSent': '如果 {email} 注册过账号，重置密码的链接已经发出，一小时内有效，且只能使用一次。也请查看垃圾邮件。',
  'auth.backToLogin': '返回登录',
  'auth.resetTitle': '设置新密码',
  'auth.resetIntro': '设置新密码后，此账号在其他设备上的登录都会退出。',
  'auth.resetSubmit': '设置新密码',
  'auth.resetDone': '密码已更新，你已登录。',
  'auth.resetNoToken': '请通过重置邮件中的链接打开此页面。',
  'auth.resetLinkInvalid': '此重置链接已失效：已被使用、已有更新的链接或已过期。请重新申请。',
  'auth.revokeKeys': '同时吊销我的全部 API 密钥（如果密钥可能已泄露）',
  'auth.keysRevoked': '已吊销 {n} 个 API 密钥。',
  'auth.verifyTitle': '确认邮箱',
  'auth.verifying': '正在确认邮箱地址…',
  'auth.verified': '邮箱已确认。',
  'auth.verifiedOpened': '邮箱已确认，试用额度已到账。',
  'auth.verifyLinkInvalid': '此确认链接已失效：已被使用或已过期。请登录后重新发送。',
  'auth.goToConsole': '进入控制台',
  'auth.verifyBanner': '请确认邮箱：我们已向 {email} 发送了确认链接，点击后试用额度即到账。',
  'auth.resend': '重新发送',
  'auth.resent': '新的确认链接已发送至 {email}。',
  'auth.emailConfirmed': '邮箱已经确认过了。',
  'auth.mailLimited': '请求发送邮件的次数过多，请 {seconds} 秒后再试。',
  'auth.mailOff': '此服务器未配置邮件发送，请联系管理员重置密码。',
  'dashboard.title': '概览',
  'dashboard.hello': '欢迎回来，{name}。',
  'dashboard.welcome': '账号已就绪：已为你发放 {amount} 试用额度。',
  'dashboard.lowBalance': '你的余额（{balance}）已低于提醒阈值 {threshold}。',
  'dashboard.welcomePending': '账号已创建。请点击我们发送到 {email} 的链接确认邮箱，试用额度随即到账。',
  'dashboard.balance': '余额',
  'dashboard.topUp': '去充值 →',
  'dashboard.spend30': '近 30 天消费',
  'dashboard.requests30': '近 30 天请求',
  'dashboard.errors30': '近 30 天错误',
  'dashboard.groupInfo': '分组 {group} · 价格 ×{m}',
  'dashboard.chartTitle': '近 30 天消费与请求',
  'dashboard.topModels': '常用模型',
  'dashboard.noModels': '还没有使用任何模型。',
  'dashboard.recentErrors': '最近的错误',
  'dashboard.noErrors': '没有失败的请求。出错时会在这里显示原因。',
  'dashboard.noUsage': '还没有调用记录。三步完成第一次调用：',
  'dashboard.step1': '创建应用并复制 API 密钥',
  'dashboard.step2': '或直接在 AIGC 对话中试用模型',
  'dashboard.step3': '额度不足时兑换充值码',
  'dashboard.createApp': '创建我的第一个应用',

  'integration.title': 'API 接入',
  'integration.subtitle': '应用用来归组 API 密钥，每次调用都计入发起它的密钥。',
  'integration.createApp': '创建应用',
  'integration.editApp': '编辑应用',
  'integration.endpoint': '接口地址与示例',
  'integration.baseUrl': 'Base URL（兼容 OpenAI）',
  'integration.editorTitle': 'AGIEditor：在您的页面中嵌入 AI 写作',
  'integration.editorHelp': '可嵌入的富文本编辑器，支持 AI 写作与图片生成：一个 script 标签加一个 <agi-editor> 元素即可。请为它使用限定了页面来源、模型、额度上限和 RPM 的密钥（在下方密钥的“限制”中设置）。',
  'integration.editorDemo': '打开编辑器演示',
  'integration.empty': '还没有应用。创建一个即可获得 API 密钥。',
  'integration.newKey': '新建密钥',
  'integration.noKeys': '此应用没有密钥，点击“新建密钥”创建。',
  'integration.playgroundApp': '体验区专用',
  'integration.playgroundNoKeys': '体验区使用登录状态而非密钥，其用量计入此应用。',
  'integration.deleteConfirm': '删除此应用？',
  'integration.deleteHelp': '它的所有密钥将立即失效。',
  'integration.appName': '应用名称',
  'integration.appNamePlaceholder': '例如：我的聊天机器人',
  'integration.appNameRequired': '请填写应用名称。',
  'integration.appDescription': '描述',

  'keys.revealTitle': '你的新 API 密钥',
  'keys.revealWarning': '请立即复制此密钥。它只显示这一次：服务器仅保存其指纹。',
  'keys.revealDone': '我已保存',
  'keys.tryIt': '试一试：',
  'keys.defaultName': '密钥 {n}',
  'keys.name': '名称',
  'keys.nameRequired': '请填写密钥名称。',
  'keys.key': '密钥',
  'keys.active': '有效',
  'keys.revoked': '已吊销',
  'keys.expired': '已过期',
  'keys.spent': '已用 / 上限',
  'keys.limits': '限制',
  'keys.noLimits': '无',
  'keys.lastUsed': '最近使用',
  'keys.never': '从未',
  'keys.editLimits': '名称与限制',
  'keys.revoke': '吊销',
  'keys.revokeConfirm': '吊销此密钥？',
  'keys.revokeHelp': '使用它的调用将立即失败，且无法撤销。',
  'keys.revokedMsg': '密钥已吊销。',
  'keys.limitsTitle': '密钥“{name}”',
  'keys.creditLimit': '额度上限',
  'keys.creditLimitHelp': '此密钥累计最多可消费的额度。已用：{spent} P。',
  'keys.unlimited': '不限',
  'keys.expiresAt': '过期时间',
  'keys.currentExpiry': '当前于 {when} 过期。选择新日期可修改，清空可取消过期。',
  'keys.neverExpires': '留空表示永不过期。',
  'keys.models': '允许的模型',
  'keys.modelsHelp': '留空表示可使用账号允许的全部模型。',
  'keys.allModels': '全部模型',
  'keys.ips': '允许的 IP 地址',
  'keys.ipsHelp': '每行一个地址或 CIDR 网段，留空表示不限。',
  'keys.origins': '允许的网页来源',
  'keys.originsHelp': '用于在浏览器中使用的密钥，每行一个来源，留空表示不限。',
  'keys.rateLimits': '速率限制（每分钟）',
  'keys.tagModels': '{n} 个模型',
  'keys.tagIps': '{n} 个 IP',
  'keys.tagOrigins': '{n} 个来源',
  'keys.tagExpires': '至 {when}',

  'logs.title': '调用日志',
  'logs.subtitle': '使用你的密钥或在体验区发出的每一个请求。',
  'logs.range.24h': '最近 24 小时',
  'logs.range.7d': '最近 7 天',
  'logs.range.30d': '最近 30 天',
  'logs.range.90d': '最近 90 天',
  'logs.range.all': '全部时间',
  'logs.range.custom': '自定义时间',
  'logs.app': '应用',
  'logs.key': '密钥',
  'logs.user': '用户',
  'logs.userId': '用户 ID',
  'logs.ok': '成功',
  'logs.error': '失败',
  'logs.export': '导出 CSV',
  'logs.exporting': '正在导出… {n} 行',
  'logs.exportFailed': '导出中断：{message}',
  'logs.totalRequests': '请求数',
  'logs.totalErrors': '错误数',
  'logs.totalTokens': 'Token 数',
  'logs.totalCost': '费用',
  'logs.capped': '合计仅包含最新的 {n} 条请求；缩小筛选范围可得到准确数字。',
  'logs.empty': '没有匹配的请求。用你的密钥发起一次调用，或放宽时间范围。',
  'logs.count': '共 {n} 条请求',
  'logs.time': '时间',
  'logs.tokens': '输入 / 输出 Token',
  'logs.latency': '耗时',
  'logs.requestId': '请求 ID',
  'logs.endpoint': '接口',
  'logs.modelSent': '上游模型',
  'logs.channel': '渠道',
  'logs.stream': '流式',
  'logs.ttft': '首字耗时',
  'logs.cached': '缓存 Token',
  'logs.reasoning': '推理 Token（计入输出）',
  'logs.reasoningShort': '其中推理 {n}',
  'logs.units': '其他计量',
  'logs.unit.images': '{n} 张图片',
  'logs.unit.characters': '{n} 字符',
  'logs.unit.seconds': '音频 {duration}（{n} 秒）',
  'logs.unit.searches': '{n} 次搜索',
  'logs.attempts': '尝试次数',
  'logs.errorDetail': '错误',

  'topup.title': '充值',
  'topup.subtitle': '使用兑换码充值，并查看余额的每一笔变动。',
  'topup.redeemTitle': '兑换充值码',
  'topup.codePlaceholder': '粘贴兑换码',
  'topup.codeRequired': '请输入兑换码。',
  'topup.redeem': '兑换',
  'topup.redeemHelp': '兑换码由管理员或代理商提供，每个只能使用一次。',
  'topup.redeemed': '已到账 {amount}，当前余额 {balance}。',
  'topup.lowBalance': '余额低于以下数值时提醒我',
  'topup.lowBalanceOff': '不提醒',
  'topup.ledger': '账户流水',
  'topup.ledgerEmpty': '暂无余额变动。',
  'topup.kind': '类型',
  'topup.amount': '金额',
  'topup.balanceAfter': '变动后余额',
  'topup.reason': '原因',
  'ledger.trial': '试用',
  'ledger.topup': '充值',
  'ledger.redeem': '兑换码',
  'ledger.charge': '扣费',
  'ledger.refund': '退款',
  'ledger.adjust': '调整',

  'chat.title': 'AIGC 对话',
  'chat.subtitle': '与服务器上的任意模型对话，费用计入你的体验区应用。',
  'chat.pickModel': '选择模型',
  'chat.noModels': '你的账号暂无可用的对话模型，需要管理员先添加渠道。',
  'chat.new': '新对话',
  'chat.history': '对话列表',
  'chat.noHistory': '暂无对话',
  'chat.untitled': '新对话',
  'chat.deleteConfirm': '删除此对话？',
  'chat.settings': '参数',
  'chat.settingsAfterStart': '开始对话后可设置系统提示词和参数。',
  'chat.empty': '随便问点什么。回答会边生成边显示，按“停止”可随时中断。',
  'chat.placeholder': '输入消息（Enter 发送，Shift+Enter 换行）',
  'chat.send': '发送',
  'chat.stop': '停止',
  'chat.stopped': '已停止',
  'chat.thinking': '思考中…',
  'chat.tokens': '输入 {in} · 输出 {out} Token',
  'chat.system': '系统提示词',
  'chat.systemPlaceholder': '例如：你是一个简洁的助手，用中文回答。',
  'chat.temperature': '温度',
  'chat.topP': 'Top P',
  'chat.maxTokens': '最大输出 Token',
  'chat.modelDefault': '模型默认值',
  'chat.presencePenalty': '存在惩罚',
  'chat.frequencyPenalty': '频率惩罚',
  'chat.answeredBy': '回答这一轮的模型',
  'chat.edit': '编辑',
  'chat.editMessage': '编辑你的消息',
  'chat.editSend': '从这里重新提问',
  'chat.editCancel': '取消',
  'chat.regenerate': '重新生成',

  'image.title': '图像生成',
  'image.subtitle': '用文字生成图片，费用计入你的体验区应用。',
  'image.modelHelp': '你的账户可用的图像模型。',
  'image.noModels': '此服务器上没有你的账户可用的图像模型。',
  'image.noImages': '服务器返回了结果，但没有图片。请重试或换一个模型。',
  'image.defaultModel': '服务器默认',
  'image.prompt': '提示词',
  'image.promptPlaceholder': '雪林中的水彩狐狸，清晨的光',
  'image.promptRequired': '请描述你想要的图片。',
  'image.negative': '反向提示词',
  'image.negativePlaceholder': '不希望出现的内容：模糊、文字、水印',
  'image.size': '尺寸',
  'image.count': '数量',
  'image.steps': '步数',
  'image.stepsHelp': '步数越多细节越好，也越慢（Stable Diffusion 模型）。',
  'image.generate': '生成',
  'image.results': '结果',
  'image.working': '生成中… {s} 秒',
  'image.empty': '生成的图片会显示在这里。在左侧描述画面并点击“生成”。',
  'image.download': '下载',
  'image.lastCost': '本批费用：{cost}',
  'image.notAvailable': '此服务器尚未启用图像生成。请联系管理员，或在下次更新后再试。',

  'docs.title': '文档',
  'docs.subtitle': '如何使用本网关，以及完整的 API 参考。',
  'docs.apiReference': 'API 参考',
  'docs.quickStart': '快速开始',
  'docs.quickStartBody': `1. 打开 **API 接入**，创建一个应用，复制显示的密钥：它只显示一次。
2. 把任意 OpenAI 客户端指向 \`{baseUrl}/v1\` 并使用该密钥：

\`\`\`bash
curl {baseUrl}/v1/chat/completions \\
  -H "Authorization: Bearer sk-..." -H "Content-Type: application/json" \\
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"你好"}]}'
\`\`\`

3. 在 **调用日志** 中查看这次调用及其 Token 与费用。`,
  'docs.providers': '模型供应商',
  'docs.providersBody': `管理员接入上游 **渠道**：OpenAI、Azure OpenAI、Anthropic Claude、Google Gemini、智谱 ChatGLM、Stable Diffusion、Cohere 与 Jina AI（重排序），以及任何兼容 OpenAI 的服务（Ollama、vLLM）。你看不到它们的密钥：你用自己的密钥调用网关，网关为模型挑选健康的渠道；若某渠道在开始回答前失败，会自动换另一个重试。

你的账号可用的模型列在对话体验区和 \`GET /v1/models\` 中。`,
  'docs.dialects': 'API 协议',
  'docs.dialectsBody': `网关支持三种协议，各家官方 SDK 只需修改 Base URL 和密钥即可使用：

| 协议 | 接口 | Base URL |
| --- | --- | --- |
| OpenAI | \`/v1/chat/completions\`、\`/v1/completions\`、\`/v1/embeddings\`、\`/v1/images/generations\`、\`/v1/models\` | \`{baseUrl}/v1\` |
| Anthropic | \`/v1/messages\`（密钥放在 \`x-api-key\`） | \`{baseUrl}\` |
| Gemini | \`/v1beta/models/{model}:generateContent\`（密钥放在 \`x-goog-api-key\`） | \`{baseUrl}\` |

任何模型都可以通过任何协议调用，由网关负责转换。`,
  'docs.sdks': 'SDK',
  'docs.sdksBody': `- **OpenAI SDK**（Python、Node 等）：\`base_url="{baseUrl}/v1"\`。
- **Anthropic SDK**：\`base_url="{baseUrl}"\`。
- **Google Gen AI SDK**：将 HTTP Base URL 设为 \`{baseUrl}\`。
- **aigccloud**（Python 3.9+，仅依赖标准库，附命令行工具）和 **@apigpt/sdk**（TypeScript，用于 Node 和浏览器），见 APIGPT 代码仓库：一个客户端调用所有模型和模态，也能管理你的账户——余额、用量、本密钥的调用记录、兑换码、模型及价格：

\`\`\`python
from aigccloud import Client
client = Client(api_key="sk-...", base_url="{baseUrl}")
\`\`\`

\`\`\`js
import { APIGPT } from '@apigpt/sdk';
const client = new APIGPT({ apiKey: 'sk-...', baseURL: '{baseUrl}' });
\`\`\`

带有你自己密钥的可直接粘贴示例，请见 **API 接入** 页面。`,
  'docs.agents': '编程智能体',
  'docs.agentsBody': `Claude Code、Codex CLI 和 Gemini CLI 都可以用你的密钥通过本网关使用，并可搭配网关提供的任意模型（Claude、GPT、Gemini 或其他：网关负责转换协议）。若不指定模型，它们会请求各自的默认模型（下面的示例用 \`gpt-4o-mini\`，换成你可用的任意模型即可）。带有你的密钥、可直接粘贴的版本见 **API 接入** 页面。

**Codex CLI**：写入 \`~/.codex/config.toml\`，然后 \`export APIGPT_KEY=sk-...\` 并运行 \`codex\`：

\`\`\`toml
model = "gpt-4o-mini"
model_provider = "apigpt"

[model_providers.apigpt]
name = "APIGPT"
base_url = "{baseUrl}/v1"
env_key = "APIGPT_KEY"
wire_api = "responses"
\`\`\`

**Claude Code**：Base URL 为不带路径的地址（它会自行加上 \`/v1/messages\`）：

\`\`\`bash
export ANTHROPIC_BASE_URL={baseUrl}
export ANTHROPIC_API_KEY=sk-...
export ANTHROPIC_MODEL=gpt-4o-mini                 # 默认：claude-sonnet-4-6
export ANTHROPIC_DEFAULT_HAIKU_MODEL=gpt-4o-mini   # 默认：claude-haiku-4-5
claude
\`\`\`

**Gemini CLI**：在 \`~/.gemini/settings.json\` 中选择 API 密钥登录（\`{"security": {"auth": {"selectedType": "gemini-api-key"}}}\`），然后：

\`\`\`bash
export GOOGLE_GEMINI_BASE_URL={baseUrl}
export GEMINI_API_KEY=sk-...
gemini -m gpt-4o-mini      # 不加 -m 时，它会在自己的 flash-lite、flash 和 pro 模型之间路由
\`\`\`

智能体的每一轮对话都是一次调用，会出现在 **调用日志** 中，与其他调用一样计费；提示缓存的读取与写入按供应商的定价计费。`,
  'docs.errors': '错误',
  'docs.errorsBody': `错误的格式与你调用的协议一致。OpenAI 协议和本控制台的 API 使用：

\`\`\`json
{"error": {"message": "…", "type": "…", "param": null, "code": "…"}}
\`\`\`

| 状态码 | 含义 | 处理方式 |
| --- | --- | --- |
| 400 | 请求格式有误 | 查看 \`message\` 与 \`param\` |
| 401 | 缺少密钥或密钥错误 | 检查密钥，它可能已被吊销 |
| 403 | 该密钥或用户组不允许此模型、IP 或来源，或模型未定价 | 检查密钥限制，或联系管理员 |
| 404 | 未知的模型或接口 | 用 \`GET /v1/models\` 查看模型列表 |
| 429 | 触发限流（\`rate_limit_exceeded\`）或余额不足（\`insufficient_quota\`） | 限流时等待 \`Retry-After\` 秒；余额不足请充值（重试无效） |
| 5xx | 上游故障 | 稍后重试；网关已尝试过其他渠道 |`,
  'docs.billing': '计费',
  'docs.billingBody': `额度以点数（P）计。新账号获得试用额度，更多额度可通过兑换码获得（**充值**）。

单次调用费用 = 模型价格（每千输入/输出 Token，或每张图片）× 你所在分组的倍率。调用前网关会预留最坏情况的费用（提示词 + 最大输出），完成后按实际用量扣费并释放其余部分；失败的调用不收费。余额的每一次变动都记录在你的 **账户流水** 中。

每个密钥都可以单独设置额度上限、过期时间、模型列表、IP 与来源白名单，以及 RPM/TPM 限制。`,

  'channels.subtitle': '上游供应商。优先级数字越大越先尝试；同一优先级内按权重分配流量。',
  'channels.create': '添加渠道',
  'channels.edit': '编辑渠道 {name}',
  'channels.empty': '没有渠道：目前无法调用任何模型。请为你的供应商添加一个。',
  'channels.name': '名称',
  'channels.nameRequired': '请填写渠道名称。',
  'channels.provider': '供应商',
  'channels.baseUrl': 'Base URL',
  'channels.baseUrlRequired': '请输入供应商的 Base URL。',
  'channels.baseUrlInvalid': '请输入完整的 URL，例如 https://api.openai.com/v1。',
  'channels.secret': 'API 密钥 / 凭据',
  'channels.secretKeep': '已保存凭据，留空则保持不变。',
  'channels.secretRequired': '该供应商需要密钥。',
  'channels.models': '模型',
  'channels.modelsHelp': '每行一个：此渠道提供的模型名称。',
  'channels.modelMap': '模型名映射',
  'channels.modelMapHelp': '每行一对“对外名称=上游名称”，例如 Azure 的部署名。',
  'channels.groups': '用户分组',
  'channels.groupsHelp': '逗号分隔，留空表示服务所有分组。',
  'channels.priority': '优先级',
  'channels.priorityHelp': '越大越先尝试',
  'channels.weight': '权重',
  'channels.weightHelp': '同优先级内的流量占比',
  'channels.enabledCol': '启用',
  'channels.anyModel': '（无）',
  'channels.health': '健康状态',
  'channels.simulated': '模拟',
  'channels.lastTest': '最近测试',
  'channels.promptCache': '提示缓存（24 小时）',
  'channels.promptCacheHelp': '最近 24 小时内，提供方从其提示缓存中读取的提示词元占比。同一会话的调用固定在一个渠道，以复用其已缓存的提示。',
  'channels.promptCacheDetail': '{prompt} 个提示词元中 {cached} 个读自缓存，写入缓存 {written} 个 · 共 {calls} 次调用',
  'channels.promptCacheNone': '最近 24 小时没有提示',
  'channels.test': '测试',
  'channels.testing': '测试中…',
  'channels.testOk': '正常 · {ms} 毫秒',
  'channels.testFail': '失败（{status}）',
  'channels.deleteConfirm': '删除此渠道？',
  'channels.healthy': '正常',
  'channels.healthyFailures': '正常 · 最近失败 {n} 次',
  'channels.resting': '熔断休息至 {time}',
  'channels.restingHelp': '连续失败后熔断（连续失败 {failures} 次，未通过探测已熔断 {trips} 次）。在此之前不会向该渠道发送请求，之后会先用一次探测请求试探。',
  'channels.probing': '探测中',
  'channels.probingHelp': '休息期已过：下一次调用（或后台探测）决定该渠道是否恢复。',
  'channels.disabledByHealth': '已被健康检查停用',
  'channels.disabledByHealthHelp': '熔断反复触发，网关自动停用了该渠道。后台探测通过后会自动恢复（也可点击“立即检查健康”）。',
  'channels.disabledByAdmin': '已被管理员停用',
  'channels.disabledByAdminHelp': '管理员停用了该渠道；在有人重新启用之前一直保持停用。',
  'channels.checkNow': '立即检查健康',
  'channels.checkNowHelp': '立即探测所有熔断中或被健康检查停用的渠道；通过的渠道恢复服务。',
  'channels.checkDone': '健康检查已完成。',
  'channels.checkFailed': '健康检查未能运行：{message}',
  'channels.history': '健康记录',
  'channels.historyTitle': '{name} 的健康记录',
  'channels.healthCounts': '连续失败 {failures} 次 · 连续熔断 {trips} 次',
  'channels.noEvents': '该渠道还没有任何记录：没有熔断变化、探测或启停。',
  'channels.eventTime': '时间',
  'channels.eventKind': '事件',
  'channels.eventDetail': '详情',
  'channels.event.circuit_open': '熔断开启',
  'channels.event.circuit_half_open': '开始探测',
  'channels.event.circuit_closed': '熔断关闭',
  'channels.event.auto_disabled': '自动停用',
  'channels.event.auto_enabled': '自动恢复',
  'channels.event.probe_ok': '探测通过',
  'channels.event.probe_failed': '探测失败',
  'channels.event.admin_disabled': '管理员停用',
  'channels.event.admin_enabled': '管理员启用',
  'channels.firstByteTimeout': '首字节超时',
  'channels.firstByteTimeoutHelp': '等待上游开始响应的最长时间。',
  'channels.idleTimeout': '空闲超时',
  'channels.idleTimeoutHelp': '流式响应中允许的最长静默时间。',
  'channels.seconds': '秒',
  'channels.serverDefault': '服务器默认',

  'models.subtitle': '价格单位为点数（P）：每千 Token、每张图片、每千字符（语音合成）、每秒音频（语音转写）或每千次搜索（重排序）。分组倍率按用户分组整体调整价格。',
  'models.prices': '模型价格',
  'models.addPrice': '设置价格',
  'models.editPrice': '{model} 的价格',
  'models.empty': '暂无模型。请先添加渠道，再为其模型定价。',
  'models.input': '输入',
  'models.output': '输出',
  'models.cached': '缓存输入',
  'models.perImage': '每张图片',
  'models.perKChars': '每千字符',
  'models.perSecond': '每秒音频',
  'models.perKSearches': '每千次搜索',
  'models.perMinute': '即每分钟 {value} P',
  'models.perMinuteShort': '（{value} / 分钟）',
  'models.deleteConfirm': '删除此模型的价格？',
  'models.unitHelp': '单位：P / 千 Token；图像模型填写“每张图片”，语音合成填写“每千字符”，语音转写填写“每秒音频”，重排序填写“每千次搜索”。留空表示不按该单位收费。',
  'models.maxOutput': '最大输出 Token',
  'models.maxOutputHelp': '调用未设置 max_tokens 时按此值预留最坏情况费用。',
  'models.groups': '用户分组',
  'models.group': '分组',
  'models.multiplier': '倍率',
  'models.noGroups': '目前只有默认分组。',
  'models.newGroup': '新分组名称',

  'users.subtitle': '本服务器上的账号。',
  'users.search': '搜索邮箱或昵称',
  'users.empty': '暂无用户。',
  'users.noMatch': '没有匹配的用户。',
  'users.role': '角色',
  'users.roleUser': '用户',
  'users.roleAdmin': '管理员',
  'users.active': '正常',
  'users.disabled': '已停用',
  'users.joined': '注册时间',
  'users.credit': '额度',
  'users.disable': '停用',
  'users.enable': '启用',
  'users.disableConfirm': '停用此账号？其密钥将失效，且无法登录。',
  'users.creditTitle': '调整 {email} 的额度',
  'users.amount': '金额',
  'users.amountHelp': '正数为发放，负数为扣除。',
  'users.amountRequired': '请输入非零金额。',
  'users.reasonRequired': '请填写原因：用户会在账户流水中看到它。',
  'users.creditDone': '完成，当前余额 {balance}。',

  'codes.subtitle': '生成带有额度的兑换码，用户在充值页面兑换。',
  'codes.generate': '生成兑换码',
  'codes.generated': '已生成 {n} 个兑换码。',
  'codes.batchTitle': '{n} 个新兑换码',
  'codes.exportCsv': '导出 CSV',
  'codes.exportPage': '导出本页',
  'codes.count': '数量',
  'codes.value': '面值',
  'codes.name': '批次名称',
  'codes.nameHelp': '便于日后识别，例如“春季活动”。',
  'codes.expires': '过期时间',
  'codes.never': '永不',
  'codes.code': '兑换码',
  'codes.redeemedBy': '兑换人',
  'codes.empty': '这里没有兑换码。生成一批即可发放额度。',
  'codes.status.all': '全部',
  'codes.status.unused': '未使用',
  'codes.status.used': '已使用',
  'codes.status.expired': '已过期',

  'admin.logsSubtitle': '所有用户的请求。按用户 ID 筛选可追踪单个账号。',

  'settings.subtitle': '全局设置。',
  'settings.signupEnabled': '开放注册',
  'settings.signupHelp': '关闭后只有管理员可以创建账号。',
  'settings.trialCredit': '新账号试用额度',
  'settings.trialHelp': '注册时一次性发放。',
  'settings.lowBalanceDefault': '默认余额提醒阈值',
  'settings.lowBalanceHelp': '用户未自行设置时，余额低于此值会收到提醒。',
  'settings.affinityTtl': '提示缓存会话粘滞时长',
  'settings.affinityTtlHelp': '一个会话（prompt_cache_key、编程智能体的会话）在最后一次调用后，继续留在保存其提示缓存的渠道上的时长。请与调用方使用的最长缓存有效期一致（Anthropic：5 分钟或 1 小时）。',
};
