import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { codeRoot, runningCompiled } from '../lib/paths.js';
import type { Db } from './knex.js';

interface MigrationFile {
  name: string;
  file: string;
}

/**
 * Loads migrations from `migrations/` (TypeScript under tsx, compiled JavaScript under dist) and
 * names them without their extension, so a database migrated by `npm run migrate` in development
 * and by the compiled release step in production keeps one consistent history.
 */
class FolderMigrationSource implements Knex.MigrationSource<MigrationFile> {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<MigrationFile[]> {
    const ext = runningCompiled ? '.js' : '.ts';
    const files = (await readdir(this.dir)).filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts')).sort();
    return files.map((file) => ({ name: file.slice(0, -ext.length), file: path.join(this.dir, file) }));
  }

  getMigrationName(m: MigrationFile): string {
    return m.name;
  }

  async getMigration(m: MigrationFile): Promise<Knex.Migration> {
    return (await import(pathToFileURL(m.file).href)) as Knex.Migration;
  }
}

export const migrationConfig: Knex.MigratorConfig = {
  migrationSource: new FolderMigrationSource(path.join(codeRoot, 'migrations')),
  tableName: 'knex_migrations',
};

/** Runs every pending migration; returns the names applied. */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}

export async function migrateRollback(db: Db): Promise<string[]> {
  const [, undone] = (await db.migrate.rollback(migrationConfig)) as [number, string[]];
  return undone;
}
