/** Writes the demo catalog's cover images to public/img/demo/. Run: npx tsx scripts/make-demo-images.ts */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { demoCategories, demoProducts } from '../seeds/demo-catalog-data.js';
import { renderCover } from '../seeds/demo-images.js';
import { publicDir } from '../src/lib/paths.js';

const dir = path.join(publicDir, 'img', 'demo');
mkdirSync(dir, { recursive: true });
for (const p of demoProducts) {
  const c = demoCategories.find((x) => x.slug === p.category);
  if (!c) throw new Error(`unknown category ${p.category} for ${p.slug}`);
  writeFileSync(path.join(dir, `${p.slug}.svg`), renderCover(p, c));
}
console.log(`wrote ${demoProducts.length} covers to ${dir}`);
