import type { RequestOptions, Transport } from '../core/transport.js';
import type { SpeechCreateParams, Transcription, TranscriptionCreateParams } from '../relay-types.js';
import { formOf, toBlob } from './shared.js';
import { openStream } from './shared.js';

/** Text to speech: the audio streams back as the provider makes it (read `body`, or `arrayBuffer()`). */
export class Speech {
  constructor(private readonly transport: Transport) {}

  async create(params: SpeechCreateParams, options?: RequestOptions): Promise<Response> {
    return (await openStream(this.transport, { method: 'POST', path: '/v1/audio/speech', body: params }, options)).response;
  }
}

/** Speech to text (`transcriptions`) or to English (`translations`). */
export class Transcriptions {
  constructor(
    private readonly transport: Transport,
    private readonly path: '/v1/audio/transcriptions' | '/v1/audio/translations',
  ) {}

  /** JSON formats answer an object; `text`, `srt` and `vtt` answer the text itself. */
  create(params: TranscriptionCreateParams & { response_format: 'text' | 'srt' | 'vtt' }, options?: RequestOptions): Promise<string>;
  create(params: TranscriptionCreateParams & { response_format?: 'json' | 'verbose_json' }, options?: RequestOptions): Promise<Transcription>;
  async create(params: TranscriptionCreateParams, options?: RequestOptions): Promise<Transcription | string> {
    const { file, filename = 'audio.wav', ...fields } = params;
    const form = formOf(fields as Record<string, unknown>);
    form.append('file', toBlob(file), filename);
    const response = await this.transport.raw({ method: 'POST', path: this.path, form }, options);
    const text = await response.text();
    const asText = params.response_format === 'text' || params.response_format === 'srt' || params.response_format === 'vtt';
    return asText ? text : (JSON.parse(text) as Transcription);
  }
}

export class Audio {
  readonly speech: Speech;
  readonly transcriptions: Transcriptions;
  readonly translations: Transcriptions;
  constructor(transport: Transport) {
    this.speech = new Speech(transport);
    this.transcriptions = new Transcriptions(transport, '/v1/audio/transcriptions');
    this.translations = new Transcriptions(transport, '/v1/audio/translations');
  }
}
