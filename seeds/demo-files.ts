import { randomBytes } from 'node:crypto';
import type { Db } from '../src/db/knex.js';
import type { FileStorage } from '../src/services/storage.js';

/**
 * A small real PDF for each demo product, made at seed time (nothing downloaded), so a
 * newcomer's first purchase downloads something that opens.
 */
export function demoPdf(title: string, lines: string[]): Buffer {
  const esc = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').replace(/([\\()])/g, '\\$1');
  const text = [`BT /F1 26 Tf 72 760 Td (${esc(title)}) Tj ET`, ...lines.map((l, i) => `BT /F1 12 Tf 72 ${720 - i * 18} Td (${esc(l)}) Tj ET`)].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf);
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** Gives every product without a file a generated PDF in storage. Returns how many it added. */
export async function attachDemoFiles(db: Db, storage: FileStorage, storeName: string): Promise<number> {
  const products = (await db('products').whereNull('file_key').select('id', 'slug', 'title', 'license_type')) as { id: number; slug: string; title: string; license_type: string }[];
  for (const p of products) {
    const body = demoPdf(p.title, [
      `Thank you for buying from ${storeName}.`,
      `Licence: ${p.license_type}. This is a demo file generated for the sample catalog.`,
      'Replace it from the admin area with the real product file.',
    ]);
    // A server-made key: random, so file locations cannot be guessed from product slugs.
    const key = `products/${p.id}/${randomBytes(8).toString('hex')}.pdf`;
    await storage.put(key, body, 'application/pdf');
    await db('products').where({ id: p.id }).update({ file_key: key, file_name: `${p.slug}.pdf`, file_size: body.length });
  }
  return products.length;
}
