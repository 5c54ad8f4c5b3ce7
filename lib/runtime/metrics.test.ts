import { describe, expect, it } from 'vitest';
import { sampleValue } from '../devkit/metrics-text.ts';
import { ServiceMetrics } from './metrics.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the event-loop lag of the default metrics', () => {
  it('shows a stall of the event loop at a scrape a quarter of a second later', async () => {
    const metrics = new ServiceMetrics('lag-test');
    // A scrape starts the delay histogram afresh.
    await metrics.registry.metrics();
    await sleep(150);
    // A handler that holds the event loop for 300 ms, as a slow synchronous task in production would.
    const until = Date.now() + 300;
    while (Date.now() < until);
    await sleep(250);
    const scrape = await metrics.registry.metrics();
    expect(sampleValue(scrape, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual(0.25);
  });
});
