/**
 * The duration of an uploaded audio file, read from its container's headers (no decoding): what
 * transcriptions and translations are priced by, known before the call goes upstream.
 *
 * Formats OpenAI's speech-to-text accepts (https://platform.openai.com/docs/api-reference/audio:
 * flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm), each by its own specification:
 * - WAV: RIFF `fmt ` byte rate and `data` chunk size (Microsoft RIFF/WAVE, also RF64's `ds64`);
 * - MP3: MPEG-1/2/2.5 Layer III frame headers (ISO/IEC 11172-3, 13818-3) after an optional ID3v2
 *   tag; the frame count of a Xing/Info or VBRI header when there is one, else every frame counted;
 * - FLAC: the STREAMINFO block's sample rate and total samples (RFC 9639 §8.2);
 * - Ogg (RFC 3533): the last page's granule position, on the clock of its first stream's codec:
 *   Opus (48 kHz less the pre-skip, RFC 7845 §4), Vorbis (identification header's rate) or FLAC;
 * - MP4/M4A (ISO/IEC 14496-12): `moov`/`mvhd` duration over its timescale;
 * - WebM/Matroska: Segment Info's `Duration` × `TimecodeScale`.
 */

export type AudioContainer = 'wav' | 'mp3' | 'flac' | 'ogg' | 'mp4' | 'webm';

export interface AudioProbe {
  format: AudioContainer;
  /** Seconds of audio; null when the container was recognised but states no readable duration. */
  seconds: number | null;
}

/**
 * Recognises an audio file by its bytes and reads its duration. null: not audio in a container the
 * gateway knows (a text file, an image, random bytes).
 */
export function probeAudio(b: Buffer): AudioProbe | null {
  const tag4 = (at: number) => (b.length >= at + 4 ? b.toString('latin1', at, at + 4) : '');
  if ((tag4(0) === 'RIFF' || tag4(0) === 'RF64') && tag4(8) === 'WAVE') return { format: 'wav', seconds: positive(wavSeconds(b)) };
  if (tag4(0) === 'fLaC') return { format: 'flac', seconds: positive(flacStreamInfo(b, 4)) };
  if (tag4(0) === 'OggS') return { format: 'ogg', seconds: positive(oggSeconds(b)) };
  if (tag4(4) === 'ftyp') return { format: 'mp4', seconds: positive(mp4Seconds(b)) };
  if (b.length >= 4 && b.readUInt32BE(0) === EBML_HEADER) return { format: 'webm', seconds: positive(webmSeconds(b)) };
  const id3 = b.length >= 10 && b.toString('latin1', 0, 3) === 'ID3';
  if (id3 || looksLikeMp3(b, 0)) return { format: 'mp3', seconds: positive(mp3Seconds(b)) };
  return null;
}

/** Seconds of a recognised audio file, or null. */
export function audioSeconds(b: Buffer): number | null {
  return probeAudio(b)?.seconds ?? null;
}

/**
 * Whole seconds billed for `seconds` of audio: rounded up, after rounding to the millisecond (the
 * precision providers report durations in), so a float like 3.0000000001 s is 3 s, not 4.
 */
export function billableSeconds(seconds: number): number {
  return Math.ceil(Math.round(seconds * 1000) / 1000);
}

const positive = (s: number | null): number | null => (s !== null && Number.isFinite(s) && s > 0 ? s : null);

// --- WAV --------------------------------------------------------------------------------------

function wavSeconds(b: Buffer): number | null {
  let p = 12;
  let byteRate = 0;
  let ds64Data: number | null = null;
  while (p + 8 <= b.length) {
    const id = b.toString('latin1', p, p + 4);
    const size = b.readUInt32LE(p + 4);
    const body = p + 8;
    if (id === 'ds64' && body + 16 <= b.length) ds64Data = Number(b.readBigUInt64LE(body + 8)); // RF64: riff size, then data size
    if (id === 'fmt ' && body + 12 <= b.length) byteRate = b.readUInt32LE(body + 8);
    if (id === 'data') {
      if (!byteRate) return null;
      const available = b.length - body;
      // Writers that stream leave the size at 0 or 0xFFFFFFFF; RF64 puts it in ds64. What arrived is the ceiling.
      const declared = size === 0xffffffff && ds64Data !== null ? ds64Data : size === 0 || size === 0xffffffff ? available : size;
      return Math.min(declared, available) / byteRate;
    }
    p = body + size + (size & 1);
  }
  return null;
}

// --- FLAC -------------------------------------------------------------------------------------

/** STREAMINFO at `at` (its block header first): 20-bit sample rate and 36-bit total samples. */
function flacStreamInfo(b: Buffer, at: number): number | null {
  if (at + 4 + 18 > b.length || (b[at] & 0x7f) !== 0) return null; // the first block must be STREAMINFO
  const s = at + 4;
  const rate = (b[s + 10] << 12) | (b[s + 11] << 4) | (b[s + 12] >> 4);
  const total = (b[s + 13] & 0x0f) * 2 ** 32 + b.readUInt32BE(s + 14);
  return rate > 0 && total > 0 ? total / rate : null; // total 0 = unknown
}

// --- Ogg --------------------------------------------------------------------------------------

function oggSeconds(b: Buffer): number | null {
  if (b.length < 27) return null;
  const serial = b.readUInt32LE(14);
  const packet = 27 + b[26];
  let rate = 0;
  let preSkip = 0;
  if (b.toString('latin1', packet, packet + 8) === 'OpusHead' && packet + 12 <= b.length) {
    rate = 48000; // Opus granules always count 48 kHz samples
    preSkip = b.readUInt16LE(packet + 10);
  } else if (b.toString('latin1', packet, packet + 7) === '\x01vorbis' && packet + 16 <= b.length) {
    rate = b.readUInt32LE(packet + 12);
  } else if (b.toString('latin1', packet, packet + 5) === '\x7fFLAC' && packet + 13 + 4 + 18 <= b.length) {
    // Ogg FLAC mapping: 0x7F "FLAC", version, header count, "fLaC", then STREAMINFO.
    const s = packet + 13 + 4;
    rate = (b[s + 10] << 12) | (b[s + 11] << 4) | (b[s + 12] >> 4);
  } else return null;
  if (!rate) return null;
  // The last page of the stream carries its final granule position (the sample count so far).
  for (let p = b.lastIndexOf('OggS'); p >= 0; p = p > 0 ? b.lastIndexOf('OggS', p - 1) : -1) {
    if (p + 27 > b.length || b[p + 4] !== 0 || b.readUInt32LE(p + 14) !== serial) continue;
    const granule = b.readBigInt64LE(p + 6);
    if (granule < 0n) continue; // -1: no packet ends on this page
    return Math.max(0, Number(granule) - preSkip) / rate;
  }
  return null;
}

// --- MP4 / M4A --------------------------------------------------------------------------------

function mp4Seconds(b: Buffer): number | null {
  const moov = findBox(b, 0, b.length, 'moov');
  if (!moov) return null;
  const mvhd = findBox(b, moov.start, moov.end, 'mvhd');
  if (!mvhd) return null;
  const s = mvhd.start;
  const v1 = b[s] === 1;
  const scaleAt = s + (v1 ? 20 : 12); // version/flags, creation and modification times
  if (scaleAt + (v1 ? 12 : 8) > mvhd.end) return null;
  const scale = b.readUInt32BE(scaleAt);
  const duration = v1 ? Number(b.readBigUInt64BE(scaleAt + 4)) : b.readUInt32BE(scaleAt + 4);
  if (!scale || (!v1 && duration === 0xffffffff)) return null; // all ones: unknown
  return duration / scale;
}

function findBox(b: Buffer, from: number, to: number, type: string): { start: number; end: number } | null {
  let p = from;
  while (p + 8 <= to) {
    let size = b.readUInt32BE(p);
    let head = 8;
    if (size === 1) {
      if (p + 16 > to) return null;
      size = Number(b.readBigUInt64BE(p + 8));
      head = 16;
    } else if (size === 0) size = to - p; // to the end
    if (size < head) return null;
    if (b.toString('latin1', p + 4, p + 8) === type) return { start: p + head, end: Math.min(to, p + size) };
    p += size;
  }
  return null;
}

// --- WebM / Matroska --------------------------------------------------------------------------

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const CLUSTER = 0x1f43b675;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;

/** An EBML variable-length integer at `p`: element IDs keep their length marker, sizes drop it. */
function vint(b: Buffer, p: number, isId: boolean): { value: number; len: number; unknown: boolean } | null {
  if (p >= b.length) return null;
  const first = b[p];
  let len = 1;
  while (len <= 8 && !(first & (0x80 >> (len - 1)))) len++;
  if (len > 8 || p + len > b.length) return null;
  let value = isId ? first : first & (0xff >> len);
  let allOnes = value === 0xff >> len;
  for (let i = 1; i < len; i++) {
    value = value * 256 + b[p + i];
    if (b[p + i] !== 0xff) allOnes = false;
  }
  return { value, len, unknown: !isId && allOnes };
}

function webmSeconds(b: Buffer): number | null {
  // Top level: the EBML header, then the Segment; inside it, Info comes before the first Cluster.
  const children = function* (from: number, to: number) {
    let p = from;
    while (p < to) {
      const id = vint(b, p, true);
      const size = id && vint(b, p + id.len, false);
      if (!id || !size) return;
      const start = p + id.len + size.len;
      const end = size.unknown ? to : Math.min(to, start + size.value);
      yield { id: id.value, start, end, unknown: size.unknown };
      if (size.unknown) return; // an element of unknown size runs to its parent's end
      p = end;
    }
  };
  for (const top of children(0, b.length)) {
    if (top.id !== SEGMENT) continue;
    for (const el of children(top.start, top.end)) {
      if (el.id === CLUSTER) return null;
      if (el.id !== INFO) continue;
      let scale = 1_000_000; // default TimecodeScale: 1 ms in ns
      let duration: number | null = null;
      for (const f of children(el.start, el.end)) {
        const n = f.end - f.start;
        if (f.id === TIMECODE_SCALE && n > 0 && n <= 6) scale = b.readUIntBE(f.start, n);
        if (f.id === DURATION) duration = n === 4 ? b.readFloatBE(f.start) : n === 8 ? b.readDoubleBE(f.start) : null;
      }
      return duration === null ? null : (duration * scale) / 1e9;
    }
  }
  return null;
}

// --- MP3 --------------------------------------------------------------------------------------

interface Mp3Frame {
  length: number;
  samples: number;
  rate: number;
  mpeg1: boolean;
  mono: boolean;
}

const BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
/** Sample rates by the header's version bits: 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5. */
const RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** A Layer III frame header at `p`, or null. */
function mp3Frame(b: Buffer, p: number): Mp3Frame | null {
  if (p + 4 > b.length || b[p] !== 0xff || (b[p + 1] & 0xe0) !== 0xe0) return null;
  const version = (b[p + 1] >> 3) & 3;
  const layer = (b[p + 1] >> 1) & 3; // 1 = Layer III
  const bitrateIndex = b[p + 2] >> 4;
  const rateIndex = (b[p + 2] >> 2) & 3;
  if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const mpeg1 = version === 3;
  const bitrate = (mpeg1 ? BITRATES_V1_L3 : BITRATES_V2_L3)[bitrateIndex] * 1000;
  const rate = RATES[version][rateIndex];
  const padding = (b[p + 2] >> 1) & 1;
  return { length: Math.floor(((mpeg1 ? 144 : 72) * bitrate) / rate) + padding, samples: mpeg1 ? 1152 : 576, rate, mpeg1, mono: b[p + 3] >> 6 === 3 };
}

/** Without an ID3 tag, a frame header alone is too weak a sign (0xFFFB could open any file): the next frame must follow it, unless the file ends there. */
function looksLikeMp3(b: Buffer, p: number): boolean {
  const f = mp3Frame(b, p);
  if (!f) return false;
  return p + f.length >= b.length || mp3Frame(b, p + f.length) !== null;
}

function mp3Seconds(b: Buffer): number | null {
  let p = 0;
  // ID3v2 tags (possibly several, and a footer flag) come first; some encoders pad after them.
  while (p + 10 <= b.length && b.toString('latin1', p, p + 3) === 'ID3') {
    const size = ((b[p + 6] & 0x7f) << 21) | ((b[p + 7] & 0x7f) << 14) | ((b[p + 8] & 0x7f) << 7) | (b[p + 9] & 0x7f);
    p += 10 + size + (b[p + 5] & 0x10 ? 10 : 0);
  }
  const limit = Math.min(b.length, p + 64 * 1024);
  while (p < limit && !looksLikeMp3(b, p)) p++;
  const first = mp3Frame(b, p);
  if (!first) return null;
  // A Xing/Info header (after the side information) or a VBRI one (32 bytes in) gives the frame count.
  const xing = p + 4 + (first.mpeg1 ? (first.mono ? 17 : 32) : first.mono ? 9 : 17);
  const tag = b.toString('latin1', xing, xing + 4);
  if ((tag === 'Xing' || tag === 'Info') && xing + 12 <= b.length && b.readUInt32BE(xing + 4) & 1) {
    const frames = b.readUInt32BE(xing + 8);
    if (frames > 0) return (frames * first.samples) / first.rate;
  }
  const vbri = p + 4 + 32;
  if (b.toString('latin1', vbri, vbri + 4) === 'VBRI' && vbri + 18 <= b.length) {
    const frames = b.readUInt32BE(vbri + 14);
    if (frames > 0) return (frames * first.samples) / first.rate;
  }
  let seconds = 0;
  let frames = 0;
  while (p < b.length) {
    const f = mp3Frame(b, p);
    if (!f || f.length < 4) break;
    seconds += f.samples / f.rate;
    frames++;
    p += f.length;
  }
  return frames > 0 ? seconds : null;
}
