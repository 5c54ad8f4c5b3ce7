/**
 * Imports the modules named on the command line, as a service's entry point would (without starting
 * it), and prints the npm packages whose ES modules were loaded, one per line: a loader hook sees
 * every module loaded after it is registered.
 */
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { port1, port2 } = new MessageChannel();
const packages = new Set<string>();
port1.on('message', (url: string) => {
  const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (name) packages.add(name);
});
const hooks = `
let port;
export async function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { port: port2 }, transferList: [port2] });
for (const module of process.argv.slice(2)) await import(pathToFileURL(module).href);
// The hook's messages come from its own thread: let the last ones arrive.
await new Promise((resolve) => setTimeout(resolve, 200));
port1.close();
console.log([...packages].sort().join('\n'));
