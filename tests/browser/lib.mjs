// What the browser tests share: their environment, their "ok"/"FAIL" lines,
// and headless Debian chromium (driven by playwright-core from the npm folder
// the shell side installed, GT_NPM_DIR) with the flags the tests run it with.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// An environment variable the shell side must set; a FAIL line without it.
export function env(name) {
  const v = process.env[name];
  if (!v) {
    console.log(`FAIL - environment variable ${name} is missing`);
    process.exit(1);
  }
  return v;
}

// check(name, cond, detail) prints a line; finish(label) the totals, and exits.
export function checker() {
  let passed = 0;
  let failed = 0;
  return {
    check(name, cond, detail) {
      if (cond) {
        passed++;
        console.log(`ok   - ${name}`);
      } else {
        failed++;
        console.log(`FAIL - ${name}${detail ? `\n       ${detail}` : ''}`);
      }
    },
    finish(label) {
      console.log(`${label}${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    },
  };
}

// A fresh profile and chromium on it; close() ends both.
export async function launch(options) {
  const require = createRequire(path.join(env('GT_NPM_DIR'), 'package.json'));
  const { chromium } = require('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'gentrack-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    timeout: 30000,
    ...options,
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
