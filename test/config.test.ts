import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config.js';

const PROD = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u:p@db.internal:5432/store',
  SESSION_SECRET: 'k'.repeat(40),
  BASE_URL: 'https://shop.example.com',
  SMTP_URL: 'smtp://u:p@mail.example.com:587',
  MAIL_FROM: 'Shop <shop@example.com>',
  RAZORPAY_KEY_ID: 'rzp_live_AbCdEf123456',
  RAZORPAY_KEY_SECRET: 'live-secret',
  RAZORPAY_WEBHOOK_SECRET: 'webhook-secret',
  DATA_ENCRYPTION_KEY: 'd'.repeat(64),
};

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('starts in development with embedded defaults and no settings at all', () => {
    const c = loadConfig({});
    expect(c).to.include({ env: 'development', port: 3000, baseUrl: 'http://localhost:3000', databaseUrl: undefined, runWorkerInWeb: true, seedDemoData: true });
    expect(Object.isFrozen(c)).to.equal(true);
  });

  it('accepts real production settings, with the worker and demo seed off', () => {
    const c = loadConfig(PROD);
    expect(c).to.include({ isProduction: true, runWorkerInWeb: false, seedDemoData: false, trustProxy: 1, baseUrl: 'https://shop.example.com' });
  });

  it('refuses production without SESSION_SECRET, DATABASE_URL or BASE_URL, naming each', () => {
    const problems = problemsOf({ NODE_ENV: 'production' });
    expect(problems.join('\n')).to.include('DATABASE_URL').and.include('SESSION_SECRET').and.include('BASE_URL');
  });

  it('refuses a short or development-default session secret in production', () => {
    expect(problemsOf({ ...PROD, SESSION_SECRET: 'short' }).join()).to.match(/SESSION_SECRET: must be at least 32/);
    const devDefault = loadConfig({}).sessionSecret;
    expect(problemsOf({ ...PROD, SESSION_SECRET: devDefault }).join()).to.match(/development default/);
  });

  it('uses the bundled Razorpay emulator without keys outside production, and refuses it in production', () => {
    expect(loadConfig({}).razorpay).to.include({ emulator: true, apiBase: 'http://localhost:3000/__razorpay' });
    expect(loadConfig(PROD).razorpay).to.include({ emulator: false, keyId: 'rzp_live_AbCdEf123456', apiBase: undefined });
    expect(problemsOf({ ...PROD, RAZORPAY_API_BASE: 'http://127.0.0.1:9999' }).join()).to.match(/RAZORPAY_API_BASE: .*refused in production/);
    expect(problemsOf({ ...PROD, RAZORPAY_WEBHOOK_SECRET: '' }).join()).to.match(/RAZORPAY_WEBHOOK_SECRET/);
    expect(problemsOf({ RAZORPAY_KEY_ID: 'key_123' }).join()).to.match(/^RAZORPAY_KEY_ID: must look like/);
  });

  it('names malformed variables', () => {
    expect(problemsOf({ PORT: 'eighty' }).join()).to.match(/^PORT:/);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' }).join()).to.match(/DATABASE_URL: must be a postgres/);
    expect(problemsOf({ BASE_URL: 'ftp://x' }).join()).to.match(/^BASE_URL:/);
    expect(problemsOf({ NODE_ENV: 'staging' }).join()).to.match(/^NODE_ENV:/);
  });

  it('development listens on localhost only; production on every interface (issue 8, item 18)', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).host).to.equal('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'development', HOST: '0.0.0.0' }).host).to.equal('0.0.0.0');
    expect(loadConfig(PROD).host).to.equal('0.0.0.0');
  });
});
