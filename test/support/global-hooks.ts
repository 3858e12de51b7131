import { startTestDatabaseServer, stopTestDatabaseServer } from './database.js';

/** Mocha global fixtures: one PostgreSQL server for the run. */
export async function mochaGlobalSetup(): Promise<void> {
  await startTestDatabaseServer();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await stopTestDatabaseServer();
}
