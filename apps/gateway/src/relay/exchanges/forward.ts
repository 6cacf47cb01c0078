import type { ServerResponse } from 'node:http';
import { drained } from './drain.js';
import { writeStreamHead } from './stream-head.js';
import type { Usage } from '../../core/calls.js';
import { GatewayError } from '../../core/errors.js';
import type { ForwardSpec } from '../../formats/host.js';
import type { UpstreamCall } from '../../providers/types.js';
import type { Answered, Attempt, Exchange, Plan } from '../pipeline.js';
import type { Route } from '../router.js';
import { readAll } from './image.js';

/**
 * Calls whose body the provider takes in its own shape (speech, transcription, translation,
 * rerank): the body goes out with the channel's model name, and the answer comes back as bytes —
 * read whole and metered by the format's reader, or streamed through as it comes (speech audio,
 * which a client starts playing before the provider has finished).
 */
export class ForwardExchange implements Exchange {
  constructor(
    private readonly spec: ForwardSpec,
    private readonly res: ServerResponse,
  ) {}

  async plan(routesFor: (model: string) => Promise<Route[]>): Promise<Plan> {
    return { routes: await routesFor(this.spec.model), quote: { units: this.spec.units, maxOutputTokens: this.spec.maxOutputTokens === undefined ? 0 : this.spec.maxOutputTokens, choices: 1, ...(this.spec.free ? { free: true } : {}) } };
  }

  async attempt(route: Route, at: Attempt): Promise<Answered> {
    const { spec } = this;
    const model = route.upstreamModel;
    const call: UpstreamCall = {
      operation: spec.operation,
      model,
      stream: false,
      body: spec.body ? { ...spec.body, model } : {},
      form: spec.form?.map((p) => (p.name === 'model' && 'value' in p ? { name: 'model', value: model } : p)),
    };
    const upstream = await at.send(route, (creds) => route.adapter.buildRequest(call, route.channel, creds));
    const ct = upstream.headers['content-type'];
    const contentType = typeof ct === 'string' ? ct : 'application/octet-stream';
    if (!spec.streamBytes) {
      const body = await readAll(upstream.body);
      const usage: Usage = spec.readUsage?.(body, contentType) ?? spec.units;
      return { reply: { status: 200, contentType, body, headers: {} }, usage };
    }
    const res = this.res;
    writeStreamHead(res, 200, { 'content-type': contentType, 'x-request-id': at.log.id, 'cache-control': 'no-store' });
    let error: GatewayError | undefined;
    try {
      for await (const chunk of upstream.body) {
        if (at.log.ttft_ms === null) at.log.ttft_ms = Math.round(performance.now() - at.started);
        if (!res.write(chunk)) await drained(res);
        if (res.destroyed) break;
      }
    } catch {
      if (!at.signal.aborted) error = new GatewayError('upstream', 'The provider ended the audio before it was complete (connection lost).', { code: 'stream_interrupted' });
    }
    const clientGone = at.signal.aborted || (res.destroyed && !res.writableFinished);
    if (clientGone) upstream.body.destroy();
    // A binary answer cannot carry an error in band: a broken one is cut, so the client sees it fail.
    // A whole one is ended by the pipeline once its charge is durable.
    if (error) res.destroy();
    const status = clientGone ? 499 : error ? 502 : 200;
    if (clientGone) error = new GatewayError('upstream', 'The client closed the connection.', { code: 'client_closed' });
    return { streamed: { status, error }, usage: spec.units, healthy: status === 200 || clientGone };
  }
}
