import type { Config } from '../config/config.js';
import { createAlipay } from './alipay/index.js';
import { createEpay } from './epay/index.js';
import { createStripe } from './stripe/index.js';
import { createWechatPay } from './wechatpay/index.js';
import type { PaymentProvider } from './types.js';

/**
 * The payment providers the gateway knows, each built from the configuration when its required
 * settings are there (else not offered). A new provider is a folder implementing `PaymentProvider`
 * and one line here.
 */
export interface ProviderEntry {
  id: string;
  fromConfig(config: Config): PaymentProvider | null;
}

export const PAYMENT_PROVIDERS: readonly ProviderEntry[] = [
  {
    id: 'epay',
    fromConfig: (c) =>
      c.epayUrl && c.epayPid && c.epayKey
        ? createEpay({ url: c.epayUrl, pid: c.epayPid, key: c.epayKey, methods: c.epayMethods.map((m) => m.trim()).filter(Boolean), pointsPerUnit: c.epayPointsPerYuan })
        : null,
  },
  {
    id: 'alipay',
    fromConfig: (c) =>
      c.alipayAppId && c.alipayPrivateKey && c.alipayPublicKey
        ? createAlipay({ gatewayUrl: c.alipayGatewayUrl, appId: c.alipayAppId, privateKey: c.alipayPrivateKey, alipayPublicKey: c.alipayPublicKey, pointsPerUnit: c.alipayPointsPerYuan })
        : null,
  },
  {
    id: 'wechatpay',
    fromConfig: (c) =>
      c.wechatpayMchId && c.wechatpayAppId && c.wechatpaySerialNo && c.wechatpayPrivateKey && c.wechatpayApiV3Key && c.wechatpayPlatformKey && c.wechatpayPlatformSerial
        ? createWechatPay({ apiUrl: c.wechatpayApiUrl, mchId: c.wechatpayMchId, appId: c.wechatpayAppId, serialNo: c.wechatpaySerialNo, privateKey: c.wechatpayPrivateKey, apiV3Key: c.wechatpayApiV3Key, platformKey: c.wechatpayPlatformKey, platformSerial: c.wechatpayPlatformSerial, pointsPerUnit: c.wechatpayPointsPerYuan, toleranceSec: c.wechatpayToleranceSec })
        : null,
  },
  {
    id: 'stripe',
    fromConfig: (c) =>
      c.stripeSecretKey && c.stripeWebhookSecret
        ? createStripe({
            secretKey: c.stripeSecretKey,
            webhookSecret: c.stripeWebhookSecret,
            apiBase: c.stripeApiUrl,
            currency: c.stripeCurrency.trim().toLowerCase(),
            pointsPerUnit: c.stripePointsPerUnit,
            toleranceSec: c.stripeToleranceSec,
          })
        : null,
  },
];

/** The configured providers, by id. */
export function providersFromConfig(config: Config): Map<string, PaymentProvider> {
  const out = new Map<string, PaymentProvider>();
  for (const e of PAYMENT_PROVIDERS) {
    const p = e.fromConfig(config);
    if (p) out.set(e.id, p);
  }
  return out;
}
