/**
 * `npm run recommendations`: recomputes every product's neighbours and the trending list now
 * (the recompute-recommendations job does the same every 6 hours), and prints what it did.
 */
import { boot } from '../boot.js';

const booted = await boot();
try {
  const report = await booted.deps.services.recommendations.recompute();
  if ('skipped' in report) console.log('A recompute is already running (the job, or another command); nothing done.');
  else
    console.log(
      `Recomputed recommendations for ${report.products.toLocaleString('en')} products from ${report.signals.toLocaleString('en')} signals: ` +
        `${report.neighbours.toLocaleString('en')} neighbours, ${report.trending} trending, in ${(report.durationMs / 1000).toFixed(1)} s (peak RSS ${report.peakRssMb} MB).`,
    );
} finally {
  await booted.shutdown();
}
