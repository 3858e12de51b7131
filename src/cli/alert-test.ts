/**
 * `npm run alert:test`: posts a test alert straight to each configured channel (Discord, Slack)
 * and prints what each answered, so a webhook URL can be checked without waiting for the job.
 * Prints only each webhook's host (the rest of the URL is a secret). Exits 1 if any channel failed.
 */
import { boot } from '../boot.js';

const booted = await boot();
let failed = false;
try {
  const delivery = booted.deps.services.alertDelivery;
  const configured = delivery.channelInfo().filter((c) => c.configured);
  if (!configured.length) {
    console.log('No alert channel is set (ALERT_DISCORD_WEBHOOK_URL, ALERT_SLACK_WEBHOOK_URL): alerts are only written to the log.');
  } else {
    for (const { channel, host, result } of await delivery.sendTestDirect()) {
      const label = channel === 'discord' ? 'Discord' : 'Slack';
      if (result.ok) console.log(`${label} (${host}): sent, HTTP ${result.status}`);
      else {
        failed = true;
        const wait = result.retryAfterMs ? `; retry after ${Math.ceil(result.retryAfterMs / 1000)} s` : '';
        console.log(`${label} (${host}): FAILED${result.status ? `, HTTP ${result.status}` : ''}: ${result.error ?? 'unknown error'}${wait}`);
      }
    }
  }
} finally {
  await booted.shutdown();
}
process.exit(failed ? 1 : 0);
