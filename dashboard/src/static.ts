// The page's static files: a fixed table from URL path to file, read once at start. No part of a
// request's path ever reaches the file system, so no path can leave the folder.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '@cotrans/core';

export interface StaticFile {
  body: Buffer;
  type: string;
}

// src/ and dist/ are both one level under the package: web/ holds the page, dist/web/ its compiled script.
const root = new URL('../', import.meta.url);
const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'web/index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'web/index.html', type: 'text/html; charset=utf-8' },
  '/style.css': { file: 'web/style.css', type: 'text/css; charset=utf-8' },
  '/app.js': { file: 'dist/web/app.js', type: 'text/javascript; charset=utf-8' },
  '/dom.js': { file: 'dist/web/dom.js', type: 'text/javascript; charset=utf-8' },
  '/explain.js': { file: 'dist/web/explain.js', type: 'text/javascript; charset=utf-8' },
  '/map.js': { file: 'dist/web/map.js', type: 'text/javascript; charset=utf-8' },
  '/types.js': { file: 'dist/web/types.js', type: 'text/javascript; charset=utf-8' },
  '/favicon.svg': { file: 'web/favicon.svg', type: 'image/svg+xml' },
};

export function loadStaticFiles(): Map<string, StaticFile> {
  const out = new Map<string, StaticFile>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    const abs = fileURLToPath(new URL(file, root));
    let body: Buffer;
    try {
      body = readFileSync(abs);
    } catch (e) {
      throw new UserError(`${abs}: cannot read the dashboard page (${(e as NodeJS.ErrnoException).code ?? e}); build it with \`npm run build\``);
    }
    out.set(path, { body, type });
  }
  return out;
}
