import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

export const PREDICTIONS = [
  'vehicle_id,label,p_shared,p_rf,p_cnn,flags',
  'taxi-1,shared,0.97,0.95,0.99,',
  'taxi-2,shared,0.58,0.70,0.41,',
  'car-1,private,0.03,0.05,0.01,',
  'car-2,private,0.40,0.45,0.30,too_few_points',
  'car-3,private,0.10,0.12,0.08,',
].join('\n') + '\n';

/** A temp dir with predictions.csv, labels.csv and one 24x24 grayscale PNG. */
export async function fixtureDir(): Promise<{ dir: string; predictions: string; truth: string; images: string; db: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cotrans-dash-'));
  const predictions = join(dir, 'predictions.csv');
  writeFileSync(predictions, PREDICTIONS);
  const truth = join(dir, 'labels.csv');
  writeFileSync(truth, 'vehicle_id,label,stratum\ntaxi-1,shared,full_time\ntaxi-2,shared,part_time\ncar-1,private,private\ncar-2,shared,car_sharing\ncar-3,private,private\n');
  const images = join(dir, 'images');
  mkdirSync(images);
  const px = Buffer.alloc(24 * 24);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7) % 256;
  await sharp(px, { raw: { width: 24, height: 24, channels: 1 } }).toColourspace('b-w').png().toFile(join(images, 'taxi-1.png'));
  return { dir, predictions, truth, images, db: join(dir, 'reviews.sqlite') };
}
