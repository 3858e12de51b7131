import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRazorpayEmulator, type EmulatorOptions, type RazorpayEmulator } from '../../src/razorpay-emulator/emulator.js';

export const TEST_KEYS = { keyId: 'rzp_test_Emu1234567890', keySecret: 'test-key-secret', webhookSecret: 'test-webhook-secret' };

/** The Razorpay emulator on its own local port, as the real API would be on its own host. */
export async function startRazorpayEmulator(opts: Partial<EmulatorOptions> = {}): Promise<{ emulator: RazorpayEmulator; apiBase: string; close: () => Promise<void> }> {
  const emulator = createRazorpayEmulator({ ...TEST_KEYS, ...opts });
  const app = express();
  app.use(emulator.router);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return { emulator, apiBase: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
