import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root (the folder holding package.json). Code runs both from `src/` through tsx and
 * from `dist/src/` after a build, so the root is found by walking up rather than by a fixed `..`.
 */
function findRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`package.json not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const rootDir = findRoot(path.dirname(fileURLToPath(import.meta.url)));
/** Whether this module runs from compiled JavaScript (dist/) or from TypeScript sources. */
export const runningCompiled = import.meta.url.endsWith('.js');
/**
 * Where compiled-or-source code folders (migrations, seeds, jobs) live for the running build:
 * the build's own root (this file is <build>/src/lib/paths.js), wherever the build was written.
 */
export const codeRoot = runningCompiled ? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..') : rootDir;
export const viewsDir = path.join(rootDir, 'views');
export const publicDir = path.join(rootDir, 'public');
