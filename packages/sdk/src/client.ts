import { Transport, type ClientOptions } from './core/transport.js';
import { Account } from './resources/account.js';
import { Audio } from './resources/audio.js';
import { Chat } from './resources/chat.js';
import { Embeddings } from './resources/embeddings.js';
import { Images } from './resources/images.js';
import { Models } from './resources/models.js';
import { Rerank } from './resources/rerank.js';
import { Responses } from './resources/responses.js';
import { Tokens } from './resources/tokens.js';

/**
 * One client for every model and modality behind an APIGPT gateway, and the account itself.
 *
 *   const client = new APIGPT({ apiKey: 'sk-…', baseURL: 'http://localhost:3000' });
 *   const reply = await client.chat.completions.create({ model: 'glm-4', messages: [{ role: 'user', content: '你好' }] });
 *
 * Each resource is its own module: for the smallest bundle, build a `Transport` and only the
 * resources you use (`new Chat(transport)`).
 */
export class APIGPT {
  readonly transport: Transport;
  readonly chat: Chat;
  readonly responses: Responses;
  readonly embeddings: Embeddings;
  readonly images: Images;
  readonly audio: Audio;
  readonly rerank: Rerank;
  readonly models: Models;
  readonly tokens: Tokens;
  readonly account: Account;

  constructor(options: ClientOptions = {}) {
    const t = (this.transport = new Transport(options));
    this.chat = new Chat(t);
    this.responses = new Responses(t);
    this.embeddings = new Embeddings(t);
    this.images = new Images(t);
    this.audio = new Audio(t);
    this.rerank = new Rerank(t);
    this.models = new Models(t);
    this.tokens = new Tokens(t);
    this.account = new Account(t);
  }

  get baseURL(): string {
    return this.transport.baseURL;
  }
}
