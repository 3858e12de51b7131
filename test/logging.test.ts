import { Writable } from 'node:stream';
import { expect } from 'chai';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/lib/logger.js';

/** What a developer and a log drain read (issue 9, item 15). */
describe('log format', () => {
  function capture() {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    return { stream, text: () => chunks.join('') };
  }

  it('development prints readable lines, production JSON', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).logFormat).to.equal('pretty');
    expect(loadConfig({ NODE_ENV: 'test' }).logFormat).to.equal('json');
    expect(loadConfig({ NODE_ENV: 'development', LOG_FORMAT: 'json' }).logFormat).to.equal('json');
    expect(() => loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' })).to.throw(/LOG_FORMAT/);
  });

  it('a pretty logger writes one readable line per entry, with secrets still masked', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', pretty: true, destination: out.stream });
    logger.info({ req: { method: 'GET', url: '/products' }, password: 'hunter2-secret' }, 'request completed');
    const text = out.text();
    expect(text).to.match(/INFO.*request completed/);
    expect(text).not.to.match(/^\{/);
    expect(text).not.to.include('hunter2-secret');
    expect(text.trim().split('\n')).to.have.length(1);
  });

  it('a JSON logger writes JSON lines', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.stream }).info({ orderId: 7 }, 'paid');
    expect(JSON.parse(out.text())).to.include({ msg: 'paid', orderId: 7, level: 30 });
  });
});
