// Generates the simulator's media fixtures with ffmpeg: one playable MP4 (H.264 + AAC) per size and clip
// length, plus a WebP thumbnail and a JPEG spritesheet per size. Outputs are committed, so this runs only
// when the catalog changes: `pnpm fixtures` (or `node services/simulator/scripts/generate-fixtures.ts`).
//
// Why these encoder settings: the whole set (6 sizes x 5 lengths) must stay near 1 MB in git. A flat
// background with one moving box and a clock compresses to almost nothing at 6 fps and CRF 38; mono AAC
// at 12 kbit/s is the largest part. `+faststart` puts the moov box first, as real providers do, and the
// bitexact flags keep reruns byte-identical (no encoder version or creation time in the file).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dimensions, fixtureNames, SECONDS, SIZES, type Size } from '../src/catalog.ts';

const OUT = fileURLToPath(new URL('../fixtures/media/', import.meta.url));
const FPS = 6;
const FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf';

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: 'inherit' });
}

/** A moving box and a running clock, so a player visibly plays and a frame grab is not blank. */
function scene(size: Size, seconds: string): string {
  const { width: w, height: h } = dimensions(size);
  const box = Math.round(Math.min(w, h) / 6);
  const filters = [
    `drawbox=x='mod(t*${Math.round(w / 5)}\\,${w - box})':y=${Math.round(h / 2)}:w=${box}:h=${box}:color=0xe63946:t=fill`,
  ];
  // drawtext needs a font; without one the clip is still valid, just unlabeled.
  if (existsSync(FONT)) {
    const fontsize = Math.round(Math.min(w, h) / 18);
    filters.push(
      `drawtext=fontfile=${FONT}:text='reelay simulator ${size} ${seconds}s  %{eif\\:t\\:d}s':fontcolor=white:fontsize=${fontsize}:x=${fontsize}:y=${fontsize * 2}`,
    );
  }
  return filters.join(',');
}

function video(size: Size, seconds: string): string {
  const file = join(OUT, fixtureNames.video(size, seconds as never));
  ffmpeg(
    [
      ['-f', 'lavfi', '-i', `color=c=0x1d3557:size=${size}:rate=${FPS}`],
      ['-f', 'lavfi', '-i', 'sine=frequency=440:beep_factor=4:sample_rate=16000'],
      ['-t', seconds, '-vf', scene(size, seconds)],
      ['-c:v', 'libx264', '-preset', 'veryslow', '-crf', '38', '-pix_fmt', 'yuv420p', '-g', String(FPS * 4)],
      ['-c:a', 'aac', '-b:a', '12k', '-ac', '1'],
      ['-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact'],
      ['-movflags', '+faststart', file],
    ].flat(),
  );
  return file;
}

function stills(size: Size, source: string): void {
  ffmpeg([
    '-ss',
    '1',
    '-i',
    source,
    '-frames:v',
    '1',
    '-c:v',
    'libwebp',
    '-quality',
    '50',
    join(OUT, fixtureNames.thumbnail(size)),
  ]);
  // 4x3 tiles at 1/8 scale, one frame a second: the shape of a scrubbing preview.
  ffmpeg([
    '-i',
    source,
    '-vf',
    'fps=1,scale=iw/8:-2,tile=4x3',
    '-frames:v',
    '1',
    '-q:v',
    '8',
    join(OUT, fixtureNames.spritesheet(size)),
  ]);
}

mkdirSync(OUT, { recursive: true });
for (const name of readdirSync(OUT)) rmSync(join(OUT, name));
for (const size of SIZES) {
  for (const seconds of SECONDS) {
    const file = video(size, seconds);
    if (seconds === '12') stills(size, file);
  }
  process.stdout.write(`generated ${size}\n`);
}
const total = readdirSync(OUT).reduce((sum, name) => sum + statSync(join(OUT, name)).size, 0);
process.stdout.write(`${readdirSync(OUT).length} files, ${total} bytes in ${OUT}\n`);
