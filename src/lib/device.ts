import { UAParser } from 'ua-parser-js';

export interface Device {
  browser: string | null;
  os: string | null;
  /** desktop, mobile, tablet, or another ua-parser type (smarttv, console…). */
  deviceType: string;
  /** Browser and OS names without versions ("Chrome", "Android"): with deviceType, what makes a device (login-devices). */
  browserFamily: string | null;
  osFamily: string | null;
}

/**
 * Browser, OS and device type from a User-Agent, with ua-parser-js 1.x (MIT; 2.x is AGPL).
 * A UA with no device type is a desktop browser.
 */
export function parseDevice(userAgent: string | undefined): Device {
  const r = new UAParser(userAgent ?? '').getResult();
  const browser = r.browser.name ? `${r.browser.name}${r.browser.major ? ` ${r.browser.major}` : ''}` : null;
  const os = r.os.name ? `${r.os.name}${r.os.version ? ` ${r.os.version}` : ''}` : null;
  return {
    browser: browser?.slice(0, 64) ?? null,
    os: os?.slice(0, 64) ?? null,
    deviceType: r.device.type ?? 'desktop',
    browserFamily: r.browser.name?.slice(0, 64) ?? null,
    osFamily: r.os.name?.slice(0, 64) ?? null,
  };
}

export function describeDevice(d: { browser: string | null; os: string | null; deviceType?: string | null }): string {
  const parts = [d.browser ?? 'Unknown browser', d.os ? `on ${d.os}` : ''].filter(Boolean);
  return parts.join(' ');
}
