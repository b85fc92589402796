import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Probe {
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>;
  format: { format_name: string; duration?: string; size?: string };
}

/**
 * ffprobe's JSON view of a file or of bytes (it fails, and so does this, on anything it cannot parse).
 * Bytes are written to a temporary file called `name`.
 */
export async function ffprobe(input: string | Uint8Array, name = 'media'): Promise<Probe> {
  let file = typeof input === 'string' ? input : '';
  let dir: string | undefined;
  if (typeof input !== 'string') {
    dir = mkdtempSync(join(tmpdir(), 'reelay-probe-'));
    file = join(dir, name);
    writeFileSync(file, input);
  }
  try {
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_streams',
      '-show_format',
      '-of',
      'json',
      file,
    ]);
    return JSON.parse(stdout) as Probe;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
