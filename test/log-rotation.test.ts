import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/lib/logger.js';
import { rootDir } from '../src/lib/paths.js';

/**
 * Logs go to stdout (what a PaaS collects) unless LOG_FILE is set (a plain VM): then pino-roll
 * writes rotating files, by day and by size, keeping LOG_ROTATE_KEEP of them (issue 14, item 7).
 */

const CHILD = path.join(rootDir, 'test', 'support', 'log-rotation-child.ts');

/** Runs the child in a fresh Node with tsx, as boot() would build its logger from this env. */
function runChild(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      cwd: rootDir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const entriesOf = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.length)
    .map((l) => JSON.parse(l) as { i: number; msg: string; level: number });

describe('log files and rotation (LOG_FILE)', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'store-log-rotation-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rolls to a new file at LOG_ROTATE_SIZE, keeps LOG_ROTATE_KEEP files, creates the folder and writes valid JSON lines to the last one', async () => {
    const file = path.join(dir, 'nested', 'logs', 'app.log');
    const run = await runChild({ LOG_FILE: file, LOG_ROTATE_SIZE: '2k', LOG_ROTATE_KEEP: '3', LINES: '300' });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout, 'nothing goes to stdout').to.equal('');

    const files = readdirSync(path.dirname(file)).sort((a, b) => Number(/\.(\d+)\.log$/.exec(a)![1]) - Number(/\.(\d+)\.log$/.exec(b)![1]));
    // app.<date>.<n>.log: rolled many times (about 200 bytes a line, 2 KB a file) …
    for (const f of files) expect(f).to.match(/^app\.\d{4}-\d{2}-\d{2}\.\d+\.log$/);
    const highest = Number(/\.(\d+)\.log$/.exec(files.at(-1)!)![1]);
    expect(highest).to.be.greaterThan(10);
    // … yet only `keep` files are left, the one being written included.
    expect(files).to.have.length(3);

    const entries = files.flatMap((f) => entriesOf(readFileSync(path.join(path.dirname(file), f), 'utf8')));
    for (const f of files.slice(0, -1)) expect(readFileSync(path.join(path.dirname(file), f)).length).to.be.at.least(2048);
    // The kept files hold the latest lines in order, up to the last one logged (even after the
    // shutdown flush: pino's exit hook drains the transport).
    const numbers = entries.map((e) => e.i);
    expect(numbers.at(-1)).to.equal(301);
    expect(entries.at(-1)!.msg).to.equal('after flush');
    expect(numbers).to.deep.equal(numbers.map((_, k) => numbers[0]! + k));
    expect(numbers[0]).to.be.greaterThan(1);
  });

  it('without LOG_FILE logs JSON lines to stdout and writes no file', async () => {
    const run = await runChild({ LINES: '20' });
    expect(run.code, run.stderr).to.equal(0);
    const entries = entriesOf(run.stdout);
    expect(entries.map((e) => e.i)).to.deep.equal(Array.from({ length: 21 }, (_, k) => k + 1));
    expect(entries[0]).to.include({ msg: 'rotation test line', level: 30 });
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  it('reads LOG_FILE, LOG_ROTATE_SIZE (default 50m) and LOG_ROTATE_KEEP (default 14), and refuses bad values', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).logFile).to.equal(undefined);
    expect(loadConfig({ NODE_ENV: 'test', LOG_FILE: '/var/log/store/app.log' }).logFile).to.deep.equal({ path: '/var/log/store/app.log', size: '50m', keep: 14 });
    expect(loadConfig({ NODE_ENV: 'test', LOG_FILE: 'logs/app.log', LOG_ROTATE_SIZE: '512K', LOG_ROTATE_KEEP: '5' }).logFile).to.deep.equal({ path: path.join(rootDir, 'logs/app.log'), size: '512k', keep: 5 });
    expect(() => loadConfig({ NODE_ENV: 'test', LOG_FILE: 'x.log', LOG_ROTATE_SIZE: 'huge' })).to.throw(ConfigError, /LOG_ROTATE_SIZE/);
    expect(() => loadConfig({ NODE_ENV: 'test', LOG_FILE: 'x.log', LOG_ROTATE_KEEP: '1' })).to.throw(ConfigError, /LOG_ROTATE_KEEP/);
  });

  it('a silent logger (tests) starts no transport and writes no file, even with a file configured', () => {
    const file = path.join(dir, 'silent', 'app.log');
    const logger = createLogger({ level: 'silent', file: { path: file, size: '1k', keep: 2 } });
    logger.error('never written');
    expect(existsSync(path.dirname(file))).to.equal(false);
  });
});
