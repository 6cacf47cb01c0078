// Audio containers for the simulated audio endpoints: builders for the formats text-to-speech
// answers with, a duration reader for the uploads speech-to-text accepts, and the deterministic
// transcript. Standard library only.
//
// What is real and what is not: WAV and PCM are real, playable 16-bit PCM (a quiet 440 Hz tone).
// MP3, Opus (Ogg), AAC (ADTS) and FLAC are *containers* with valid headers and framing, so their
// duration can be read back (probeAudio), but their payload bytes are zeros/filler: they are NOT
// decodable audio and a player may reject them.

/** Sample rate of OpenAI's TTS output (`pcm` is raw 24 kHz 16-bit little-endian mono). */
export const TTS_SAMPLE_RATE = 24000;

/** Deterministic 16-bit LE mono samples: a quiet 440 Hz sine. */
export function pcm16(seconds: number, sampleRate: number): Buffer {
  const n = Math.max(0, Math.round(seconds * sampleRate));
  const out = Buffer.alloc(n * 2);
  const step = (2 * Math.PI * 440) / sampleRate;
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(3000 * Math.sin(i * step)), i * 2);
  return out;
}

/** Wraps 16-bit mono PCM in a canonical 44-byte RIFF/WAVE header. */
export function wavFromPcm(pcm: Buffer, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16); // fmt chunk size
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

/**
 * A valid WAV file (16-bit PCM, mono) of the given duration: for tests that upload audio.
 * `seconds * sampleRate` is rounded to whole samples.
 */
export function makeWav(seconds: number, sampleRate = 16000): Buffer {
  return wavFromPcm(pcm16(seconds, sampleRate), sampleRate);
}

// MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono: 144-byte frames of 1152 samples (36 ms), no padding.
const MP3_HEADER = [0xff, 0xfb, 0x18, 0xc4];
const MP3_FRAME_BYTES = 144;
const MP3_FRAME_SECONDS = 1152 / 32000;

/**
 * MP3-shaped bytes: an ID3v2.4 tag, then ceil(seconds / 36 ms) MPEG-1 Layer III frames with
 * valid headers and zeroed side info and main data. Not decodable audio (see the file comment).
 */
export function makeMp3(seconds: number): Buffer {
  const text = Buffer.from('\x03APIGPT simulator', 'latin1'); // encoding byte 3 = UTF-8
  const frame = Buffer.alloc(10);
  frame.write('TSSE', 0, 'latin1');
  writeSyncsafe(frame, 4, text.length);
  const tagBody = Buffer.concat([frame, text]);
  const id3 = Buffer.alloc(10);
  id3.write('ID3', 0, 'latin1');
  id3[3] = 4; // v2.4.0
  writeSyncsafe(id3, 6, tagBody.length);
  const frames = Math.max(1, Math.ceil(seconds / MP3_FRAME_SECONDS - 1e-9));
  const body = Buffer.alloc(frames * MP3_FRAME_BYTES);
  for (let i = 0; i < frames; i++) for (let k = 0; k < 4; k++) body[i * MP3_FRAME_BYTES + k] = MP3_HEADER[k];
  return Buffer.concat([id3, tagBody, body]);
}

function writeSyncsafe(b: Buffer, at: number, n: number): void {
  b[at] = (n >> 21) & 0x7f;
  b[at + 1] = (n >> 14) & 0x7f;
  b[at + 2] = (n >> 7) & 0x7f;
  b[at + 3] = n & 0x7f;
}

/**
 * FLAC-shaped bytes: `fLaC` + a STREAMINFO block carrying the true sample count (24 kHz, 16-bit,
 * mono), then filler frames that start with the frame sync code. Not decodable audio.
 */
export function makeFlac(seconds: number, sampleRate = TTS_SAMPLE_RATE): Buffer {
  const total = BigInt(Math.max(0, Math.round(seconds * sampleRate)));
  const head = Buffer.alloc(4 + 4 + 34);
  head.write('fLaC', 0, 'latin1');
  head[4] = 0x80; // last metadata block, type 0 = STREAMINFO
  head.writeUIntBE(34, 5, 3);
  head.writeUInt16BE(4096, 8); // min block size
  head.writeUInt16BE(4096, 10); // max block size
  // min/max frame size (24 bits each) left 0 = unknown
  const packed = (BigInt(sampleRate) << 44n) | (0n << 41n) | (15n << 36n) | total; // channels-1 = 0, bps-1 = 15
  head.writeBigUInt64BE(packed, 18);
  // 16-byte MD5 left zero (= not computed)
  const frames = Math.max(1, Math.ceil(Number(total) / 4096));
  const body = Buffer.alloc(frames * 32);
  for (let i = 0; i < frames; i++) {
    body[i * 32] = 0xff;
    body[i * 32 + 1] = 0xf8;
  }
  return Buffer.concat([head, body]);
}

/**
 * AAC-shaped bytes: ADTS frames (MPEG-4 AAC LC, 24 kHz, mono, 1024 samples each) with valid
 * 7-byte headers and zero payload. Not decodable audio.
 */
export function makeAdts(seconds: number, sampleRate = TTS_SAMPLE_RATE): Buffer {
  const FRAME = 16;
  const frames = Math.max(1, Math.ceil((seconds * sampleRate) / 1024 - 1e-9));
  const out = Buffer.alloc(frames * FRAME);
  const sfIndex = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000].indexOf(sampleRate);
  for (let i = 0; i < frames; i++) {
    const p = i * FRAME;
    out[p] = 0xff;
    out[p + 1] = 0xf1; // MPEG-4, layer 0, no CRC
    out[p + 2] = (1 << 6) | ((sfIndex < 0 ? 6 : sfIndex) << 2); // profile LC, sampling index, channel cfg high bit 0
    out[p + 3] = (1 << 6) | ((FRAME >> 11) & 3); // channel configuration 1 (mono)
    out[p + 4] = (FRAME >> 3) & 0xff;
    out[p + 5] = ((FRAME & 7) << 5) | 0x1f;
    out[p + 6] = 0xfc;
  }
  return out;
}

/**
 * Opus-in-Ogg-shaped bytes: OpusHead and OpusTags pages, then pages of 20 ms packets whose
 * granule positions give the true duration (48 kHz clock, 312 samples pre-skip). Page CRCs are
 * correct; the packets are a TOC byte plus zeros. Not decodable audio.
 */
export function makeOggOpus(seconds: number): Buffer {
  const serial = 0x53494d31; // "SIM1"
  const preSkip = 312;
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(TTS_SAMPLE_RATE, 12); // original input rate (informational)
  const vendor = Buffer.from('APIGPT simulator', 'latin1');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  const pages: Buffer[] = [oggPage([head], 0n, serial, 0, 0x02), oggPage([tags], 0n, serial, 1, 0)];
  const total = Math.max(0, Math.round(seconds * 48000));
  const packets = Math.max(1, Math.ceil(total / 960));
  const packet = Buffer.alloc(8);
  packet[0] = 0xf8; // config 31 (CELT FB 20 ms), mono, one frame
  const PER_PAGE = 50;
  let seq = 2;
  for (let i = 0; i < packets; i += PER_PAGE) {
    const n = Math.min(PER_PAGE, packets - i);
    const last = i + n >= packets;
    const granule = BigInt(preSkip + (last ? total : (i + n) * 960));
    pages.push(oggPage(Array(n).fill(packet), granule, serial, seq++, last ? 0x04 : 0));
  }
  return Buffer.concat(pages);
}

function oggPage(packets: Buffer[], granule: bigint, serial: number, seq: number, flags: number): Buffer {
  const lacing: number[] = [];
  for (const p of packets) {
    let len = p.length;
    while (len >= 255) {
      lacing.push(255);
      len -= 255;
    }
    lacing.push(len);
  }
  const h = Buffer.alloc(27 + lacing.length);
  h.write('OggS', 0, 'latin1');
  h[4] = 0; // version
  h[5] = flags;
  h.writeBigInt64LE(granule, 6);
  h.writeUInt32LE(serial, 14);
  h.writeUInt32LE(seq, 18);
  h[26] = lacing.length;
  for (let i = 0; i < lacing.length; i++) h[27 + i] = lacing[i];
  const page = Buffer.concat([h, ...packets]);
  page.writeUInt32LE(oggCrc(page), 22);
  return page;
}

let CRC_TABLE: Uint32Array | null = null;
/** Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial value 0. */
function oggCrc(b: Buffer): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let r = i << 24;
      for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
      CRC_TABLE[i] = r >>> 0;
    }
  }
  let crc = 0;
  for (let i = 0; i < b.length; i++) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b[i]) & 0xff]) >>> 0;
  return crc;
}

export type AudioFormat = 'wav' | 'mp3' | 'flac' | 'ogg' | 'mp4' | 'webm';

/**
 * Recognises an audio container by its bytes and reads its duration. null = not recognisable
 * audio; `seconds: null` = the container was recognised but carries no readable duration
 * (truncated, corrupt, or a WebM without a Duration element).
 */
export function probeAudio(b: Buffer): { format: AudioFormat; seconds: number | null } | null {
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WAVE') return { format: 'wav', seconds: wavSeconds(b) };
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'fLaC') return { format: 'flac', seconds: flacSeconds(b) };
  if (b.length >= 4 && b.toString('latin1', 0, 4) === 'OggS') return { format: 'ogg', seconds: oggSeconds(b) };
  if (b.length >= 8 && b.toString('latin1', 4, 8) === 'ftyp') return { format: 'mp4', seconds: mp4Seconds(b) };
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return { format: 'webm', seconds: webmSeconds(b) };
  const hasId3 = b.length >= 10 && b.toString('latin1', 0, 3) === 'ID3';
  if (hasId3 || mp3Header(b, 0)) {
    const s = mp3Seconds(b);
    if (s !== null || hasId3) return { format: 'mp3', seconds: s };
  }
  return null;
}

/** Duration in seconds of a recognised audio file, or null. */
export function readAudioDuration(b: Buffer): number | null {
  return probeAudio(b)?.seconds ?? null;
}

function wavSeconds(b: Buffer): number | null {
  let p = 12;
  let byteRate = 0;
  while (p + 8 <= b.length) {
    const id = b.toString('latin1', p, p + 4);
    const size = b.readUInt32LE(p + 4);
    if (id === 'fmt ' && p + 16 <= b.length) byteRate = b.readUInt32LE(p + 16);
    if (id === 'data') {
      if (!byteRate) return null;
      const avail = b.length - (p + 8);
      return Math.min(size, avail) / byteRate; // streaming writers leave size 0xFFFFFFFF
    }
    p += 8 + size + (size & 1);
  }
  return null;
}

function flacSeconds(b: Buffer): number | null {
  if (b.length < 8 + 18 || (b[4] & 0x7f) !== 0) return null; // first block must be STREAMINFO
  const rate = (b[18] << 12) | (b[19] << 4) | (b[20] >> 4);
  const total = (b[21] & 0x0f) * 2 ** 32 + b.readUInt32BE(22);
  return rate > 0 && total > 0 ? total / rate : null;
}

function oggSeconds(b: Buffer): number | null {
  if (b.length < 28) return null;
  const first = 27 + b[26];
  let rate = 0;
  let preSkip = 0;
  if (b.toString('latin1', first, first + 8) === 'OpusHead' && first + 12 <= b.length) {
    rate = 48000;
    preSkip = b.readUInt16LE(first + 10);
  } else if (b.toString('latin1', first, first + 7) === '\x01vorbis' && first + 16 <= b.length) {
    rate = b.readUInt32LE(first + 12);
  } else return null;
  // The last page's granule position is the stream's final sample.
  for (let p = b.lastIndexOf('OggS'); p >= 0; p = p > 0 ? b.lastIndexOf('OggS', p - 1) : -1) {
    if (p + 14 > b.length || b[p + 4] !== 0) continue;
    const granule = Number(b.readBigInt64LE(p + 6));
    if (granule < 0) continue;
    return rate > 0 ? Math.max(0, granule - preSkip) / rate : null;
  }
  return null;
}

function mp4Seconds(b: Buffer): number | null {
  const boxes = (from: number, to: number, visit: (type: string, start: number, end: number) => number | null | undefined): number | null => {
    let p = from;
    while (p + 8 <= to) {
      let size = b.readUInt32BE(p);
      const type = b.toString('latin1', p + 4, p + 8);
      let head = 8;
      if (size === 1 && p + 16 <= to) {
        size = Number(b.readBigUInt64BE(p + 8));
        head = 16;
      } else if (size === 0) size = to - p;
      if (size < head) return null;
      const r = visit(type, p + head, Math.min(to, p + size));
      if (r !== undefined) return r;
      p += size;
    }
    return null;
  };
  return boxes(0, b.length, (type, start, end) => {
    if (type !== 'moov') return undefined;
    return boxes(start, end, (t, s) => {
      if (t !== 'mvhd') return undefined;
      const v1 = b[s] === 1;
      const scaleAt = s + (v1 ? 20 : 12);
      if (scaleAt + (v1 ? 12 : 8) > b.length) return null;
      const scale = b.readUInt32BE(scaleAt);
      const dur = v1 ? Number(b.readBigUInt64BE(scaleAt + 4)) : b.readUInt32BE(scaleAt + 4);
      return scale > 0 && dur > 0 && dur !== 0xffffffff ? dur / scale : null;
    });
  });
}

/** Reads an EBML variable-length integer; `id` keeps the length marker (element IDs). */
function vint(b: Buffer, p: number, id: boolean): { value: number; len: number; unknown: boolean } | null {
  if (p >= b.length) return null;
  const first = b[p];
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || p + len > b.length) return null;
  let value = id ? first : first & (0xff >> len);
  let allOnes = value === (0xff >> len);
  for (let i = 1; i < len; i++) {
    value = value * 256 + b[p + i];
    if (b[p + i] !== 0xff) allOnes = false;
  }
  return { value, len, unknown: !id && allOnes };
}

function webmSeconds(b: Buffer): number | null {
  const SEGMENT = 0x18538067;
  const INFO = 0x1549a966;
  const CLUSTER = 0x1f43b675;
  let scale = 1_000_000;
  let duration: number | null = null;
  const walk = (from: number, to: number, depth: number): boolean => {
    let p = from;
    while (p < to) {
      const id = vint(b, p, true);
      if (!id) return false;
      const size = vint(b, p + id.len, false);
      if (!size) return false;
      const start = p + id.len + size.len;
      const end = size.unknown ? to : Math.min(to, start + size.value);
      if (id.value === SEGMENT && depth === 0) return walk(start, end, 1);
      if (id.value === CLUSTER) return false;
      if (id.value === INFO && depth === 1) {
        walk(start, end, 2);
        return true;
      }
      if (depth === 2 && id.value === 0x2ad7b1 && end > start) scale = b.readUIntBE(start, Math.min(6, end - start));
      if (depth === 2 && id.value === 0x4489) duration = end - start === 4 ? b.readFloatBE(start) : end - start === 8 ? b.readDoubleBE(start) : null;
      if (size.unknown) return false;
      p = end;
    }
    return false;
  };
  walk(0, b.length, 0);
  return duration !== null && duration > 0 ? (duration * scale) / 1e9 : null;
}

interface Mp3Frame {
  length: number;
  samples: number;
  rate: number;
  mono: boolean;
  mpeg1: boolean;
}

const MP3_BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MP3_BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MP3_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Parses an MPEG audio Layer III frame header at `p`; null when it is not one. */
function mp3Header(b: Buffer, p: number): Mp3Frame | null {
  if (p + 4 > b.length || b[p] !== 0xff || (b[p + 1] & 0xe0) !== 0xe0) return null;
  const version = (b[p + 1] >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const layer = (b[p + 1] >> 1) & 3; // 1 = Layer III
  const brIndex = b[p + 2] >> 4;
  const srIndex = (b[p + 2] >> 2) & 3;
  if (version === 1 || layer !== 1 || brIndex === 0 || brIndex === 15 || srIndex === 3) return null;
  const mpeg1 = version === 3;
  const bitrate = (mpeg1 ? MP3_BITRATES_V1 : MP3_BITRATES_V2)[brIndex] * 1000;
  const rate = MP3_RATES[version][srIndex];
  const padding = (b[p + 2] >> 1) & 1;
  const length = Math.floor(((mpeg1 ? 144 : 72) * bitrate) / rate) + padding;
  return { length, samples: mpeg1 ? 1152 : 576, rate, mono: b[p + 3] >> 6 === 3, mpeg1 };
}

function mp3Seconds(b: Buffer): number | null {
  let p = 0;
  if (b.toString('latin1', 0, 3) === 'ID3' && b.length >= 10) {
    const size = ((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f);
    p = 10 + size + (b[5] & 0x10 ? 10 : 0);
    // Tolerate zero padding between the tag and the first frame.
    const limit = Math.min(b.length, p + 4096);
    while (p < limit && !mp3Header(b, p)) p++;
  }
  const first = mp3Header(b, p);
  if (!first) return null;
  // A Xing/Info frame (VBR header) states the frame count.
  const tagAt = p + 4 + (first.mpeg1 ? (first.mono ? 17 : 32) : first.mono ? 9 : 17);
  const tag = b.toString('latin1', tagAt, tagAt + 4);
  if ((tag === 'Xing' || tag === 'Info') && tagAt + 12 <= b.length && b.readUInt32BE(tagAt + 4) & 1) {
    return (b.readUInt32BE(tagAt + 8) * first.samples) / first.rate;
  }
  let seconds = 0;
  let frames = 0;
  while (p < b.length) {
    const f = mp3Header(b, p);
    if (!f || f.length < 4) break;
    seconds += f.samples / f.rate;
    frames++;
    p += f.length;
  }
  return frames > 0 ? seconds : null;
}

/** The fixed sentence every simulated transcript is made of. */
export const TRANSCRIPT_SENTENCE = 'The quick brown fox jumps over the lazy dog.';
/** One sentence per this many seconds of audio (the last segment may be shorter). */
export const TRANSCRIPT_SEGMENT_SECONDS = 3;

/** Duration as reported (millisecond precision, so ceil() of it is stable). */
export function roundDuration(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/**
 * The deterministic transcript of `seconds` of audio: one TRANSCRIPT_SENTENCE per started
 * 3-second segment (none for silence of length 0). `text` is the sentences joined by spaces.
 */
export function simulatedTranscript(seconds: number): { text: string; segments: Array<{ start: number; end: number; text: string }> } {
  const d = roundDuration(seconds);
  const n = d > 0 ? Math.ceil(d / TRANSCRIPT_SEGMENT_SECONDS - 1e-9) : 0;
  const segments = [];
  for (let i = 0; i < n; i++) {
    segments.push({ start: i * TRANSCRIPT_SEGMENT_SECONDS, end: Math.min((i + 1) * TRANSCRIPT_SEGMENT_SECONDS, d), text: TRANSCRIPT_SENTENCE });
  }
  return { text: segments.map((s) => s.text).join(' '), segments };
}
