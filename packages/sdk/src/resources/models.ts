import type { RequestOptions, Transport } from '../core/transport.js';
import { NotFoundError } from '../core/errors.js';
import { ManagementClient } from '../management/client.js';
import type { Model } from '../management/types.js';

/** The models this key may use, each with the price this account pays (P per unit). */
export class Models {
  private readonly mgmt: ManagementClient;
  constructor(transport: Transport) {
    this.mgmt = new ManagementClient(transport);
  }

  async list(options?: RequestOptions): Promise<Model[]> {
    return (await this.mgmt.call('GET /api/models', {}, options)).items;
  }

  async retrieve(id: string, options?: RequestOptions): Promise<Model> {
    const m = (await this.list(options)).find((x) => x.id === id);
    if (!m) throw new NotFoundError(`The model \`${id}\` does not exist or this key may not use it.`, { status: 404, body: { code: 'model_not_found', param: 'model' } });
    return m;
  }
}
