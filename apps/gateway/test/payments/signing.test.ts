/**
 * Each provider's signing and verification against the examples of provider-protocols.md §16, with
 * the expected digests computed outside this code (coreutils `md5sum`, `openssl dgst -sha256 -hmac`):
 *
 *   printf '%s' 'money=7.30&name=TUC100&notify_url=https://gw/api/user/epay/notify&out_trade_no=USR42NOab12cd1735689600&pid=1001&return_url=https://gw/console/log&type=alipay0123456789abcdefKEY' | md5sum
 *   printf '%s' "1735689700.$BODY" | openssl dgst -sha256 -hmac whsec_test_doc_example
 */
import { describe, expect, it } from 'vitest';
import { epaySign, epaySigned, epaySigningString, epayVerify } from '../../src/payments/epay/sign.js';
import { createEpay } from '../../src/payments/epay/index.js';
import { stripeSignature, stripeSignatureHeader, verifyStripeSignature } from '../../src/payments/stripe/signature.js';
import { createStripe } from '../../src/payments/stripe/index.js';
import { CallbackRejected } from '../../src/payments/types.js';
import { stripeForm } from '../../src/payments/stripe/form.js';

// §16.1's example order (its table's values), and a merchant key.
const EPAY_EXAMPLE = {
  pid: '1001',
  type: 'alipay',
  out_trade_no: 'USR42NOab12cd1735689600',
  notify_url: 'https://gw/api/user/epay/notify',
  return_url: 'https://gw/console/log',
  name: 'TUC100',
  money: '7.30',
};
const EPAY_KEY = '0123456789abcdefKEY';
const EPAY_EXAMPLE_SIGN = '50ca6e0df87a54146aae78b30e962370';

// §16.2's example event, as one line of JSON (the raw body), and its header's timestamp.
const STRIPE_BODY =
  '{"id":"evt_1Q","object":"event","type":"checkout.session.completed","created":1735689700,"livemode":false,"data":{"object":{"id":"cs_test_a1","object":"checkout.session","mode":"payment","payment_status":"paid","status":"complete","amount_total":1000,"currency":"usd","client_reference_id":"order_8f3c","metadata":{"order_id":"order_8f3c","user_id":"42"},"payment_intent":"pi_3Q"}}}';
const STRIPE_T = 1735689700;
const STRIPE_SECRET = 'whsec_test_doc_example';
const STRIPE_EXAMPLE_V1 = 'b441b4b2917f277dfd55fecffe3231c2e9364e921394d81b974df4ab51c4e5b0';

describe('EPay MD5 signature (§16.1)', () => {
  it('joins the sorted fields as the protocol document shows, raw and unencoded', () => {
    expect(epaySigningString(EPAY_EXAMPLE)).toBe(
      'money=7.30&name=TUC100&notify_url=https://gw/api/user/epay/notify&out_trade_no=USR42NOab12cd1735689600&pid=1001&return_url=https://gw/console/log&type=alipay',
    );
  });

  it('signs the example as md5sum does, in lower-case hex', () => {
    expect(epaySign(EPAY_EXAMPLE, EPAY_KEY)).toBe(EPAY_EXAMPLE_SIGN);
  });

  it('leaves out sign, sign_type and empty fields; go-epay\'s device=pc is signed like any other field', () => {
    expect(epaySign({ ...EPAY_EXAMPLE, sign: 'x', sign_type: 'MD5', param: '' }, EPAY_KEY)).toBe(EPAY_EXAMPLE_SIGN);
    expect(epaySign({ ...EPAY_EXAMPLE, device: 'pc' }, EPAY_KEY)).toBe('ab72252095db168d7061a20a0102b056');
  });

  it('verifies its own signature and refuses a changed amount, another key or a malformed sign', () => {
    const signed = epaySigned(EPAY_EXAMPLE, EPAY_KEY);
    expect(signed.sign_type).toBe('MD5');
    expect(epayVerify(signed, EPAY_KEY)).toBe(true);
    expect(epayVerify({ ...signed, sign: signed.sign.toUpperCase() }, EPAY_KEY)).toBe(true);
    expect(epayVerify({ ...signed, money: '0.01' }, EPAY_KEY)).toBe(false);
    expect(epayVerify(signed, 'another-key')).toBe(false);
    expect(epayVerify({ ...signed, sign: 'not-hex' }, EPAY_KEY)).toBe(false);
    expect(epayVerify({ ...EPAY_EXAMPLE }, EPAY_KEY)).toBe(false);
  });

  it('the provider sends the payer to submit.php with the example order signed, and reads a signed notify', async () => {
    const epay = createEpay({ url: 'https://pay.example.com/', pid: '1001', key: EPAY_KEY, methods: ['alipay', 'wxpay'], pointsPerUnit: 140 });
    const c = await epay.checkout({
      id: EPAY_EXAMPLE.out_trade_no,
      userId: 'u1',
      email: 'a@b.c',
      method: 'alipay',
      amount: 730,
      currency: 'cny',
      title: 'TUC100',
      notifyUrl: EPAY_EXAMPLE.notify_url,
      returnUrl: EPAY_EXAMPLE.return_url,
      expiresAt: Date.now() + 60_000,
    });
    const url = new URL(c.payUrl);
    expect(url.origin + url.pathname).toBe('https://pay.example.com/submit.php');
    expect(Object.fromEntries(url.searchParams)).toEqual({ ...EPAY_EXAMPLE, sign: EPAY_EXAMPLE_SIGN, sign_type: 'MD5' });

    const notify = epaySigned({ pid: '1001', trade_no: '2025010112000000001', out_trade_no: EPAY_EXAMPLE.out_trade_no, type: 'alipay', name: 'TUC100', money: '7.30', trade_status: 'TRADE_SUCCESS' }, EPAY_KEY);
    const n = epay.verify({ method: 'GET', query: notify, headers: {}, body: Buffer.alloc(0) });
    expect(n).toMatchObject({ kind: 'paid', orderId: EPAY_EXAMPLE.out_trade_no, tradeNo: '2025010112000000001', amount: 730, currency: 'cny', method: 'alipay', eventId: '2025010112000000001:TRADE_SUCCESS' });
    // The same notify as a POST form (some deployments).
    const posted = epay.verify({ method: 'POST', query: {}, headers: {}, body: Buffer.from(new URLSearchParams(notify).toString()) });
    expect(posted).toMatchObject({ kind: 'paid', amount: 730 });
    expect(() => epay.verify({ method: 'GET', query: { ...notify, money: '73.00' }, headers: {}, body: Buffer.alloc(0) })).toThrow(CallbackRejected);
    // Signed with our key, but naming another merchant.
    const other = epaySigned({ ...notify, pid: '2002', sign: '', sign_type: '' }, EPAY_KEY);
    expect(() => epay.verify({ method: 'GET', query: other, headers: {}, body: Buffer.alloc(0) })).toThrow(/merchant 2002/);
    expect(epay.reply('ok')).toMatchObject({ status: 200, body: 'success' });
    expect(epay.reply('rejected').body).toBe('fail');
  });
});

describe('Stripe-Signature (§16.2)', () => {
  it('signs "t.rawBody" with HMAC-SHA256 as openssl does', () => {
    expect(stripeSignature(STRIPE_BODY, STRIPE_SECRET, STRIPE_T)).toBe(STRIPE_EXAMPLE_V1);
    expect(stripeSignatureHeader(STRIPE_BODY, STRIPE_SECRET, STRIPE_T)).toBe(`t=${STRIPE_T},v1=${STRIPE_EXAMPLE_V1}`);
  });

  const body = Buffer.from(STRIPE_BODY);
  const verify = (header: string | undefined, now = STRIPE_T, payload = body) => verifyStripeSignature(header, payload, STRIPE_SECRET, 300, now);

  it('accepts any v1 that matches (two secrets during a rotation), ignoring v0', () => {
    expect(verify(`t=${STRIPE_T},v1=${STRIPE_EXAMPLE_V1}`)).toBeNull();
    expect(verify(`t=${STRIPE_T},v1=${'0'.repeat(64)},v1=${STRIPE_EXAMPLE_V1},v0=abc`)).toBeNull();
  });

  it('refuses a body changed by one byte, a re-serialised body, another secret, and a header without v1', () => {
    expect(verify(`t=${STRIPE_T},v1=${STRIPE_EXAMPLE_V1}`, STRIPE_T, Buffer.from(STRIPE_BODY.replace('1000', '1001')))).toBe('no_matching_signature');
    expect(verify(`t=${STRIPE_T},v1=${STRIPE_EXAMPLE_V1}`, STRIPE_T, Buffer.from(JSON.stringify(JSON.parse(STRIPE_BODY), null, 2)))).toBe('no_matching_signature');
    expect(verifyStripeSignature(`t=${STRIPE_T},v1=${STRIPE_EXAMPLE_V1}`, body, 'whsec_other', 300, STRIPE_T)).toBe('no_matching_signature');
    expect(verify(`t=${STRIPE_T},v0=${STRIPE_EXAMPLE_V1}`)).toBe('no_v1_signature');
    expect(verify(`v1=${STRIPE_EXAMPLE_V1}`)).toBe('no_timestamp');
    expect(verify(undefined)).toBe('no_signature_header');
  });

  it('accepts a timestamp up to the tolerance away and refuses one beyond it (a replay)', () => {
    const h = `t=${STRIPE_T},v1=${STRIPE_EXAMPLE_V1}`;
    expect(verify(h, STRIPE_T + 300)).toBeNull();
    expect(verify(h, STRIPE_T - 300)).toBeNull();
    expect(verify(h, STRIPE_T + 301)).toBe('timestamp_outside_tolerance');
    // The same event re-signed with a fresh timestamp is authentic again: duplicates are caught by event id, not here.
    expect(verify(stripeSignatureHeader(body, STRIPE_SECRET, STRIPE_T + 1000), STRIPE_T + 1000)).toBeNull();
  });

  it('the provider reads the example event as a payment of 10.00 USD for order_8f3c', () => {
    const stripe = createStripe({ secretKey: 'sk_test', webhookSecret: STRIPE_SECRET, apiBase: 'https://api.stripe.com', currency: 'usd', pointsPerUnit: 1000, toleranceSec: 300, now: () => STRIPE_T * 1000 });
    const n = stripe.verify({ method: 'POST', query: {}, headers: { 'stripe-signature': `t=${STRIPE_T},v1=${STRIPE_EXAMPLE_V1}` }, body });
    expect(n).toEqual({
      kind: 'paid',
      eventId: 'evt_1Q',
      type: 'checkout.session.completed',
      orderId: 'order_8f3c',
      tradeNo: 'pi_3Q',
      providerRef: 'cs_test_a1',
      amount: 1000,
      currency: 'usd',
      method: null,
      detail: JSON.parse(STRIPE_BODY),
    });
    expect(() => stripe.verify({ method: 'POST', query: {}, headers: { 'stripe-signature': `t=${STRIPE_T},v1=${'1'.repeat(64)}` }, body })).toThrow(CallbackRejected);
  });

  it('encodes a Checkout Session request with bracketed keys, as §16.2 shows', () => {
    const form = stripeForm({ mode: 'payment', line_items: [{ price_data: { currency: 'usd', unit_amount: 1000, product_data: { name: 'API credit $10' } }, quantity: 1 }], metadata: { order_id: 'order_8f3c' }, customer_email: undefined });
    expect(decodeURIComponent(form).split('&')).toEqual([
      'mode=payment',
      'line_items[0][price_data][currency]=usd',
      'line_items[0][price_data][unit_amount]=1000',
      'line_items[0][price_data][product_data][name]=API+credit+$10',
      'line_items[0][quantity]=1',
      'metadata[order_id]=order_8f3c',
    ]);
  });
});
