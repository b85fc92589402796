// Reads the pixel size of an uploaded `input_reference` image from its header, without decoding it.
// Sora required the reference to be the first frame at exactly the requested size; a simulator that
// accepted any image would let a client bug through that the real provider rejected.

export interface ImageInfo {
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
}

export function imageInfo(data: Buffer): ImageInfo | null {
  try {
    return png(data) ?? jpeg(data) ?? webp(data);
  } catch {
    // A header that claims more bytes than there are: not an image we can read.
    return null;
  }
}

function png(data: Buffer): ImageInfo | null {
  if (data.length < 24 || data.readUInt32BE(0) !== 0x89504e47 || data.toString('latin1', 12, 16) !== 'IHDR') {
    return null;
  }
  return { format: 'png', width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** Walks the JPEG segments to the first start-of-frame marker (SOF0..SOF15 but DHT, JPG, DAC). */
function jpeg(data: Buffer): ImageInfo | null {
  if (data.length < 4 || data[0] !== 0xff || data[1] !== 0xd8) return null;
  let at = 2;
  while (at + 9 < data.length) {
    if (data[at] !== 0xff) return null;
    const marker = data[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    const length = data.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', height: data.readUInt16BE(at + 5), width: data.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  return null;
}

/** Lossy (VP8), lossless (VP8L) and extended (VP8X) WebP headers. */
function webp(data: Buffer): ImageInfo | null {
  if (
    data.length < 30 ||
    data.toString('latin1', 0, 4) !== 'RIFF' ||
    data.toString('latin1', 8, 12) !== 'WEBP'
  ) {
    return null;
  }
  const chunk = data.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    return { format: 'webp', width: data.readUInt16LE(26) & 0x3fff, height: data.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    const bits = data.readUInt32LE(21);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    return { format: 'webp', width: data.readUIntLE(24, 3) + 1, height: data.readUIntLE(27, 3) + 1 };
  }
  return null;
}
