// PNG export through sharp: 8-bit, one channel. sharp treats a 1-channel raw buffer as sRGB and
// would write 3 channels without toColourspace('b-w').
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { toGrey8, type VehicleImages } from './images.js';

export async function pngFromPixels(pixels: Float32Array, size: number): Promise<Buffer> {
  return sharp(Buffer.from(toGrey8(pixels).buffer), { raw: { width: size, height: size, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** Reads a PNG back as raw 8-bit pixels (for checks and tools). */
/** Reads a PNG back: the channel count stored in the file, and its pixels in that many channels. */
export async function readPng(data: Buffer | string): Promise<{ width: number; height: number; channels: number; pixels: Uint8Array }> {
  const meta = await sharp(data).metadata();
  // sharp decodes to sRGB unless asked to keep the grey colour space
  const img = meta.channels === 1 ? sharp(data).toColourspace('b-w') : sharp(data);
  const { data: buf, info } = await img.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: meta.channels ?? info.channels, pixels: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) };
}

/** A vehicle id as a safe folder name (ids may hold slashes, colons...). */
export function safeName(id: string): string {
  return encodeURIComponent(id).replace(/\*/g, '%2A').replace(/^\./, '%2E');
}

/** A vehicle's images as PNGs: <YYYY-MM-DD>.png per day, then aggregate.png. */
export async function vehiclePngs(img: VehicleImages): Promise<{ name: string; png: Buffer }[]> {
  const out: { name: string; png: Buffer }[] = [];
  for (let i = 0; i < img.days.length; i++) out.push({ name: `${img.dayKeys[i]}.png`, png: await pngFromPixels(img.days[i], img.size) });
  out.push({ name: 'aggregate.png', png: await pngFromPixels(img.aggregate, img.size) });
  return out;
}

/** Writes DIR/<vehicle>/<YYYY-MM-DD>.png per day and DIR/<vehicle>/aggregate.png; returns the files written. */
export async function writeVehiclePngs(img: VehicleImages, dir: string): Promise<string[]> {
  const vdir = join(dir, safeName(img.vehicleId));
  await mkdir(vdir, { recursive: true });
  const files: string[] = [];
  for (const { name, png } of await vehiclePngs(img)) {
    const f = join(vdir, name);
    await writeFile(f, png);
    files.push(f);
  }
  return files;
}
