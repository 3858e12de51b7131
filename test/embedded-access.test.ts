import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { EmbeddedPostgresAccessError, folderPostgresCannotEnter, startEmbeddedPostgres } from '../src/db/embedded.js';

/** A project in a folder the `postgres` system user cannot enter gets one clear line (issue 9, item 17). */
describe('embedded PostgreSQL in a folder it cannot enter', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'store-access-'));
    chmodSync(root, 0o755);
    mkdirSync(path.join(root, 'home', 'project'), { recursive: true });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('names the first folder on the way that others cannot enter', () => {
    const home = path.join(root, 'home');
    chmodSync(home, 0o700);
    expect(folderPostgresCannotEnter(path.join(home, 'project', 'data'))).to.equal(home);
    // A folder the postgres user owns itself (its data folder, mode 700) is no obstacle.
    expect(folderPostgresCannotEnter(path.join(home, 'project', 'data'), process.getuid?.() ?? 0)).to.equal(undefined);
    chmodSync(home, 0o755);
    expect(folderPostgresCannotEnter(path.join(home, 'project', 'data'))).to.equal(undefined);
  });

  it('as root, refuses to start with a message that says how to fix it, instead of crashing on spawn', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const home = path.join(root, 'home');
    chmodSync(home, 0o700);
    try {
      const err = await startEmbeddedPostgres({ dir: path.join(home, 'project', 'data', 'postgres'), port: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(EmbeddedPostgresAccessError);
      expect((err as Error).message).to.include(home).and.include('mode 700').and.include('DATABASE_URL').and.include('Move the project');
    } finally {
      chmodSync(home, 0o755);
    }
  });
});
