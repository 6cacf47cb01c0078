// @apigpt/simulator: an upstream that speaks each provider's wire format, with controllable
// latency and faults and honest token usage. Used by the gateway's tests, the benchmark and the
// offline demo channel.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler, type SimulatorHandler } from './server.js';
import type { SimControls, Simulator, SimulatorOptions } from './types.js';

export type { ErnieTokens, IssuedToken, PaymentCallbackInfo, PaymentOptions, RecordedRequest, SimControls, SimFault, SimPayments, Simulator, SimulatorOptions } from './types.js';
export { epaySign } from './payments/epay.js';
export { alipaySign, alipaySignContent, alipayVerify, alipayTime } from './payments/alipay.js';
export { wechatEncrypt, wechatRequestMessage, wechatSignedHeaders, wechatTime } from './payments/wechatpay.js';
export { DEFAULT_EPAY_KEY, DEFAULT_EPAY_PID, DEFAULT_STRIPE_SECRET_KEY } from './payments/state.js';
export type { SimulatorHandler } from './server.js';
export { parseDirective, parseFault, stripDirective } from './controls.js';
export { encodePng, readPngSize } from './png.js';
export { makeWav, probeAudio, readAudioDuration, simulatedTranscript, TRANSCRIPT_SENTENCE, TRANSCRIPT_SEGMENT_SECONDS, type AudioFormat } from './audio.js';
export { speechSeconds, audioTokens, SPEECH_SECONDS_PER_CHAR, AUDIO_TOKENS_PER_SECOND } from './dialects/openai-audio.js';
export { rerankScore, rankDocuments } from './dialects/rerank.js';
export { CACHE_UNIT_TOKENS } from './dialects/deepseek.js';

/** A request listener for embedding the simulator in another node:http server. */
export function createSimulatorHandler(opts?: SimulatorOptions): SimulatorHandler {
  return createHandler(opts);
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const handler = createHandler(opts);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => handler(req, res));
  // Benchmarks hold keep-alive connections open; don't let Node's 5 s default cut them.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    setDefaults: (c: Partial<SimControls>) => handler.setDefaults(c),
    requests: handler.requests,
    stats: handler.stats,
    ernie: handler.ernie,
    payments: handler.payments,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hanging and keep-alive connections would otherwise keep close() waiting forever.
        server.closeAllConnections();
      }),
  };
}
