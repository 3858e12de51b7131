/**
 * `npm run create-admin -- --email you@example.com [--name "Your Name"]`
 * Creates an admin account, or makes an existing account an admin. The password comes from
 * ADMIN_PASSWORD or is asked for (not echoed). Works in production (Procfile's `node dist/...`).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { boot } from '../boot.js';
import { hashPassword, passwordProblem } from '../lib/passwords.js';

async function askHidden(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const output = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  // Print the prompt, then nothing of what is typed.
  output._writeToOutput = (s: string) => {
    if (s.startsWith(question)) output.output.write(s);
  };
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  process.stdout.write('\n');
  return answer;
}

const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string' } } });
if (!values.email || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(values.email)) {
  console.error('Usage: npm run create-admin -- --email you@example.com [--name "Your Name"]');
  process.exit(2);
}
// eslint-disable-next-line no-restricted-properties -- a one-off CLI input, not an app setting
const password = process.env.ADMIN_PASSWORD ?? (process.stdin.isTTY ? await askHidden('Password for the admin account: ') : '');
const problem = password ? await passwordProblem(password) : 'Set ADMIN_PASSWORD or run this in a terminal to type one.';
if (problem) {
  console.error(`Password not accepted: ${problem}`);
  process.exit(2);
}

const booted = await boot();
try {
  const { users } = booted.deps.models;
  const password_hash = await hashPassword(password);
  const existing = await users.findByEmail(values.email);
  if (existing) {
    await users.update(existing.id, { role: 'admin', password_hash, email_verified_at: existing.email_verified_at ?? new Date() });
    // A change of role ends the account's sessions so the new rights start from a fresh login.
    await booted.deps.models.sessions.deleteForUser(existing.id);
    console.log(`${values.email} is now an admin (password updated).`);
  } else {
    await users.insert({ email: values.email, name: values.name ?? 'Store Admin', password_hash, role: 'admin', email_verified_at: new Date() });
    console.log(`Admin ${values.email} created.`);
  }
  if (booted.config.requireAdmin2fa) console.log('Two-step sign-in is required for admins: set it up on /account after signing in.');
} finally {
  await booted.shutdown();
}
