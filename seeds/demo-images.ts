import type { DemoCategory, DemoProduct } from './demo-catalog-data.js';

/**
 * Cover art for the demo catalog, drawn as SVG from the product's title and its category's motif
 * so the repo ships no binary images and nothing is downloaded. scripts/make-demo-images.ts writes
 * them to public/img/demo/.
 */

const escapeXml = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/** A small deterministic hash so each product gets its own variation of the motif. */
function seedOf(s: string): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

function wrap(title: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of title.split(/\s+/)) {
    if ((line + ' ' + word).trim().length > maxChars && line) {
      lines.push(line);
      line = word;
    } else line = (line + ' ' + word).trim();
  }
  if (line) lines.push(line);
  return lines.slice(0, 3);
}

function motif(kind: DemoCategory['motif'], seed: number, light: string): string {
  const r = (n: number) => (seed >> n) % 40;
  switch (kind) {
    case 'book':
      return `<g opacity=".9"><rect x="${520 + r(1)}" y="90" width="170" height="230" rx="10" fill="${light}" opacity=".25"/><rect x="${540 + r(1)}" y="110" width="170" height="230" rx="10" fill="#fff" opacity=".9"/><rect x="${565 + r(1)}" y="145" width="120" height="10" rx="5" fill="${light}"/><rect x="${565 + r(1)}" y="170" width="95" height="10" rx="5" fill="${light}" opacity=".6"/><rect x="${565 + r(1)}" y="195" width="110" height="10" rx="5" fill="${light}" opacity=".6"/></g>`;
    case 'layout':
      return `<g opacity=".95"><rect x="500" y="80" width="230" height="260" rx="14" fill="#fff" opacity=".92"/><rect x="520" y="100" width="190" height="${90 + r(2)}" rx="8" fill="${light}" opacity=".55"/><rect x="520" y="${210 + r(2)}" width="88" height="60" rx="6" fill="${light}" opacity=".35"/><rect x="622" y="${210 + r(2)}" width="88" height="60" rx="6" fill="${light}" opacity=".35"/></g>`;
    case 'type':
      return `<text x="640" y="${250 + (r(3) % 20)}" text-anchor="middle" font-family="Georgia, 'Times New Roman', serif" font-size="190" font-weight="700" fill="#fff" opacity=".9">Aa</text>`;
    case 'lens':
      return `<g><circle cx="615" cy="200" r="${110 + (r(4) % 15)}" fill="#fff" opacity=".18"/><circle cx="615" cy="200" r="80" fill="#fff" opacity=".85"/><circle cx="615" cy="200" r="46" fill="${light}"/><circle cx="598" cy="183" r="12" fill="#fff" opacity=".8"/></g>`;
    case 'icons': {
      let cells = '';
      for (let i = 0; i < 9; i++) {
        const x = 520 + (i % 3) * 70;
        const y = 100 + Math.floor(i / 3) * 70;
        const shape = (seed >> i) & 1 ? `<circle cx="${x + 25}" cy="${y + 25}" r="18" fill="${light}"/>` : `<rect x="${x + 9}" y="${y + 9}" width="32" height="32" rx="8" fill="${light}"/>`;
        cells += `<rect x="${x}" y="${y}" width="50" height="50" rx="12" fill="#fff" opacity=".9"/>${shape}`;
      }
      return `<g>${cells}</g>`;
    }
    case 'code':
      return `<g><rect x="490" y="90" width="250" height="220" rx="14" fill="#0f172a" opacity=".85"/><circle cx="515" cy="112" r="6" fill="#f87171"/><circle cx="535" cy="112" r="6" fill="#fbbf24"/><circle cx="555" cy="112" r="6" fill="#34d399"/><text x="515" y="170" font-family="'DejaVu Sans Mono', monospace" font-size="22" fill="#93c5fd">&lt;/&gt;</text><rect x="515" y="195" width="${120 + r(5)}" height="10" rx="5" fill="${light}"/><rect x="535" y="220" width="${90 + r(6)}" height="10" rx="5" fill="#fff" opacity=".5"/><rect x="535" y="245" width="${140 - r(7)}" height="10" rx="5" fill="#fff" opacity=".35"/></g>`;
  }
}

export function renderCover(p: DemoProduct, c: DemoCategory): string {
  const seed = seedOf(p.slug);
  const hue = (c.hue + (seed % 30) - 15 + 360) % 360;
  const dark = `hsl(${hue} 62% 30%)`;
  const mid = `hsl(${(hue + 25) % 360} 70% 48%)`;
  const light = `hsl(${(hue + 40) % 360} 85% 62%)`;
  const lines = wrap(p.title, 14);
  const text = lines
    .map((l, i) => `<text x="56" y="${250 - (lines.length - 1) * 26 + i * 52}" font-family="'DejaVu Sans', Arial, sans-serif" font-size="42" font-weight="700" fill="#fff">${escapeXml(l)}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 450" width="800" height="450" role="img" aria-label="${escapeXml(p.title)}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${dark}"/><stop offset="1" stop-color="${mid}"/></linearGradient></defs>
<rect width="800" height="450" fill="url(#g)"/>
<circle cx="${700 - (seed % 120)}" cy="420" r="160" fill="#fff" opacity=".07"/>
<circle cx="80" cy="${40 + (seed % 60)}" r="90" fill="#fff" opacity=".06"/>
${motif(c.motif, seed, light)}
<text x="56" y="92" font-family="'DejaVu Sans', Arial, sans-serif" font-size="20" font-weight="700" letter-spacing="3" fill="#fff" opacity=".8">${escapeXml(c.name.toUpperCase())}</text>
${text}
</svg>
`;
}
