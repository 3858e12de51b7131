import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `asset('/css/site.css')` → `/css/site.css?v=<content hash>`. Browsers may then cache the file for
 * a year; a new deploy with a changed file gets a new URL. Hashes are computed once per path.
 */
export function createAssetUrl(publicDir: string): (urlPath: string) => string {
  const cache = new Map<string, string>();
  return (urlPath) => {
    let url = cache.get(urlPath);
    if (url === undefined) {
      try {
        const hash = createHash('sha256').update(readFileSync(path.join(publicDir, urlPath))).digest('hex').slice(0, 10);
        url = `${urlPath}?v=${hash}`;
      } catch {
        url = urlPath;
      }
      cache.set(urlPath, url);
    }
    return url;
  };
}
