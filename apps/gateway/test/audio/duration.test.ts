import { describe, expect, it } from 'vitest';
import { billableSeconds, probeAudio } from '../../src/media/audio-duration.js';

/** Files built by hand from each container's specification, with durations worked out by hand. */

function wav(sampleRate: number, dataBytes: number, extraChunk?: Buffer): Buffer {
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8); // PCM
  fmt.writeUInt16LE(1, 10); // mono
  fmt.writeUInt32LE(sampleRate, 12);
  fmt.writeUInt32LE(sampleRate * 2, 16); // byte rate
  fmt.writeUInt16LE(2, 20);
  fmt.writeUInt16LE(16, 22);
  const data = Buffer.alloc(8 + dataBytes);
  data.write('data', 0, 'latin1');
  data.writeUInt32LE(dataBytes, 4);
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), fmt, ...(extraChunk ? [extraChunk] : []), data]);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, stereo, no padding: 417-byte frames of 1152 samples. */
function mp3Frame(xingFrames?: number): Buffer {
  const f = Buffer.alloc(417);
  f.set([0xff, 0xfb, 0x90, 0x00]);
  if (xingFrames !== undefined) {
    // Stereo MPEG-1: 32 bytes of side information, then the Xing tag, flags (1 = frame count), count.
    f.write('Xing', 36, 'latin1');
    f.writeUInt32BE(1, 40);
    f.writeUInt32BE(xingFrames, 44);
  }
  return f;
}

function oggPage(granule: bigint, serial: number, seq: number, packet: Buffer, flags = 0): Buffer {
  const h = Buffer.alloc(28);
  h.write('OggS', 0, 'latin1');
  h[5] = flags;
  h.writeBigInt64LE(granule, 6);
  h.writeUInt32LE(serial, 14);
  h.writeUInt32LE(seq, 18);
  h[26] = 1; // one lacing value
  h[27] = packet.length;
  return Buffer.concat([h, packet]);
}

/** An ISO BMFF box. */
const box = (type: string, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(8 + body.length, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, body]);
};

describe('audio duration from file headers', () => {
  it('WAV: data bytes over the byte rate, other chunks skipped (with their pad byte)', () => {
    // 24,000 bytes at 8 kHz 16-bit mono (16,000 bytes a second) = 1.5 s.
    expect(probeAudio(wav(8000, 24_000))).toEqual({ format: 'wav', seconds: 1.5 });
    const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    expect(probeAudio(wav(8000, 24_000, list))).toEqual({ format: 'wav', seconds: 1.5 });
  });

  it('WAV without a data chunk is recognised but has no duration', () => {
    expect(probeAudio(wav(8000, 24_000).subarray(0, 36))).toEqual({ format: 'wav', seconds: null });
  });

  it('MP3 without a VBR header: every frame counted, after an ID3v2 tag', () => {
    const frames = Buffer.concat(Array.from({ length: 100 }, () => mp3Frame()));
    // 100 × 1152 / 44,100 s.
    expect(probeAudio(frames)!.seconds).toBeCloseTo(2.612245, 5);
    const id3 = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 20, ...Buffer.alloc(20)]);
    expect(probeAudio(Buffer.concat([id3, frames]))).toMatchObject({ format: 'mp3' });
    expect(probeAudio(Buffer.concat([id3, frames]))!.seconds).toBeCloseTo(2.612245, 5);
  });

  it('MP3 with a Xing header: its frame count', () => {
    // 1000 × 1152 / 44,100 s, though only two frames are present.
    const file = Buffer.concat([mp3Frame(1000), mp3Frame()]);
    expect(probeAudio(file)!.seconds).toBeCloseTo(26.122449, 5);
  });

  it('FLAC: STREAMINFO total samples over the sample rate', () => {
    const head = Buffer.alloc(4 + 4 + 34);
    head.write('fLaC', 0, 'latin1');
    head.set([0x80, 0, 0, 34], 4);
    // 44.1 kHz, 2 channels, 16 bits, 441,000 samples = 10 s.
    head.writeBigUInt64BE((44100n << 44n) | (1n << 41n) | (15n << 36n) | 441_000n, 18);
    expect(probeAudio(head)).toEqual({ format: 'flac', seconds: 10 });
  });

  it('Ogg Opus: the last granule position less the pre-skip, at 48 kHz', () => {
    const opusHead = Buffer.alloc(19);
    opusHead.write('OpusHead', 0, 'latin1');
    opusHead[8] = 1;
    opusHead[9] = 1;
    opusHead.writeUInt16LE(312, 10);
    const file = Buffer.concat([oggPage(0n, 7, 0, opusHead, 2), oggPage(312n + 48_000n, 7, 1, Buffer.alloc(10)), oggPage(312n + 96_000n, 7, 2, Buffer.alloc(10), 4)]);
    expect(probeAudio(file)).toEqual({ format: 'ogg', seconds: 2 });
  });

  it('MP4/M4A: mvhd duration over its timescale', () => {
    const mvhd = Buffer.alloc(100);
    mvhd.writeUInt32BE(1000, 12); // timescale
    mvhd.writeUInt32BE(5500, 16); // duration
    const file = Buffer.concat([box('ftyp', Buffer.from('M4A \0\0\0\0', 'latin1')), box('moov', box('mvhd', mvhd))]);
    expect(probeAudio(file)).toEqual({ format: 'mp4', seconds: 5.5 });
  });

  it('WebM: Info Duration × TimecodeScale, inside a Segment of unknown size', () => {
    const ebml = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x84, 0x42, 0x82, 0x81, 0x77]); // EBML header with one tiny child
    const scale = Buffer.from([0x2a, 0xd7, 0xb1, 0x83, 0x0f, 0x42, 0x40]); // 1,000,000 ns
    const duration = Buffer.alloc(11);
    duration.set([0x44, 0x89, 0x88]);
    duration.writeDoubleBE(12_345, 3); // ticks of 1 ms
    const info = Buffer.concat([Buffer.from([0x15, 0x49, 0xa9, 0x66, 0x80 | (scale.length + duration.length)]), scale, duration]);
    const segment = Buffer.concat([Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), info]);
    expect(probeAudio(Buffer.concat([ebml, segment]))).toEqual({ format: 'webm', seconds: 12.345 });
  });

  it('what is not audio is not recognised', () => {
    expect(probeAudio(Buffer.from('just some meeting notes'))).toBeNull();
    expect(probeAudio(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))).toBeNull();
    // A lone MP3-like sync word followed by text: no second frame where the first says it ends.
    expect(probeAudio(Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x00]), Buffer.alloc(600, 'a')]))).toBeNull();
    expect(probeAudio(Buffer.alloc(0))).toBeNull();
  });

  it('billable seconds: rounded up, after rounding to the millisecond', () => {
    expect(billableSeconds(7.5)).toBe(8);
    expect(billableSeconds(3)).toBe(3);
    expect(billableSeconds(3.0000000001)).toBe(3);
    expect(billableSeconds(3.0004)).toBe(3);
    expect(billableSeconds(3.001)).toBe(4);
  });
});
