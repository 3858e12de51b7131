/**
 * Turns what a shopper typed into a safe PostgreSQL tsquery of prefix terms ("temp note" →
 * "temp:* & note:*"), so partial words match as people expect. Only letters (with their combining marks, which Indic scripts need) and digits survive,
 * which keeps to_tsquery from ever seeing its own operators. Returns undefined for no words.
 */
export function toPrefixTsQuery(text: string, maxWords = 8): string | undefined {
  const words = text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  const unique = [...new Set(words)].slice(0, maxWords);
  if (unique.length === 0) return undefined;
  return unique.map((w) => `${w}:*`).join(' & ');
}
