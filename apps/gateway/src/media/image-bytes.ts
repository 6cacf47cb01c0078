/** What kind of image some bytes are, from their magic numbers: providers do not always say. */
export function imageType(data: Buffer): { ext: 'png' | 'jpg' | 'webp' | 'gif'; contentType: string } | null {
  if (data.length >= 8 && data.readUInt32BE(0) === 0x89504e47 && data.readUInt32BE(4) === 0x0d0a1a0a) return { ext: 'png', contentType: 'image/png' };
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return { ext: 'jpg', contentType: 'image/jpeg' };
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return { ext: 'webp', contentType: 'image/webp' };
  if (data.length >= 6 && data.toString('latin1', 0, 4) === 'GIF8') return { ext: 'gif', contentType: 'image/gif' };
  return null;
}

/** Pixel size of a PNG (IHDR) or JPEG (first SOFn marker); null for anything else or truncated data. */
export function imageSize(data: Buffer): { width: number; height: number } | null {
  const type = imageType(data);
  if (type?.ext === 'png' && data.length >= 24 && data.toString('latin1', 12, 16) === 'IHDR') return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
  if (type?.ext === 'jpg') {
    let i = 2;
    while (i + 9 < data.length) {
      if (data[i] !== 0xff) return null;
      const marker = data[i + 1];
      const len = data.readUInt16BE(i + 2);
      // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { width: data.readUInt16BE(i + 7), height: data.readUInt16BE(i + 5) };
      i += 2 + len;
    }
  }
  return null;
}
