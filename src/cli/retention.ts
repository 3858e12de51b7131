/**
 * `npm run retention`: runs the retention pass now, whatever the hour and whether tonight's ran
 * (deletes are by cut-off, so an extra pass is harmless), and prints what went per table.
 * `--budget-minutes=30` gives a first pass over a large backlog more time than the nightly 5.
 */
import { boot } from '../boot.js';

const booted = await boot();
try {
  const arg = process.argv.find((a) => a.startsWith('--budget-minutes='));
  const minutes = arg ? Number(arg.split('=')[1]) : undefined;
  if (minutes !== undefined && !(Number.isFinite(minutes) && minutes > 0 && minutes <= 24 * 60)) {
    console.error('--budget-minutes must be a number of minutes between 1 and 1440');
    process.exitCode = 1;
  } else {
    const result = await booted.deps.services.retention.run(minutes ? { budgetMs: minutes * 60_000 } : {});
    for (const [table, n] of Object.entries(result.deleted)) console.log(`${table.padEnd(16)} ${n} deleted`);
    console.log(result.complete ? 'Done.' : 'Stopped at the time budget; run again (or wait for tonight) for the rest.');
  }
} finally {
  await booted.shutdown();
}
