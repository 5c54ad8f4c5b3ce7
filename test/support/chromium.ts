import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Headless Chromium from the operating system (Debian's `chromium` package), driven by
 * playwright-core, which downloads no browser of its own: for the tests of the gateway's pages.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Without the background-networking flags Chromium reaches for Google's services at start and, on a
// closed network, hangs there.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const NO_CHROMIUM =
  `No Chromium at ${CHROMIUM_PATH}: the tests of the gateway's pages drive a headless Chromium. Install it with ` +
  '`apt-get install chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium binary.';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(NO_CHROMIUM);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** Is this URL, requested by a page, on this machine (or a `data:`/`blob:` URL the page made itself)? */
export function isLocalRequest(url: string): boolean {
  const { protocol, host } = new URL(url);
  return protocol === 'data:' || protocol === 'blob:' || LOOPBACK.has(host.replace(/:\d+$/, ''));
}
