/**
 * The server's counters export every known label combination at 0 before the first event, so
 * that `rate()` and `increase()` count the first incident of a priority (a series born at 1 has
 * no earlier sample to increase from).
 */
import { describe, expect, it } from 'vitest';
import { createServerMetrics } from '../../server/src/services/metrics.js';

async function exposition(): Promise<{ text: string; metrics: ReturnType<typeof createServerMetrics> }> {
  const metrics = createServerMetrics('0.0.0-test', { defaultMetrics: false });
  return { text: await metrics.registry.metrics(), metrics };
}

describe('server counters', () => {
  it('start every priority of sightline_incidents_opened_total at 0', async () => {
    const { text } = await exposition();
    for (const p of ['P1', 'P2', 'P3', 'P4', 'P5']) expect(text).toContain(`sightline_incidents_opened_total{priority="${p}"} 0\n`);
  });

  it('start every ingest source and outcome at 0', async () => {
    const { text } = await exposition();
    for (const source of ['alertmanager', 'prometheus', 'grafana', 'api', 'pagerduty']) {
      for (const outcome of ['accepted', 'duplicate', 'rejected']) expect(text).toContain(`sightline_alerts_ingested_total{source="${source}",outcome="${outcome}"} 0\n`);
    }
  });

  it('start suppression kinds and leadership events at 0', async () => {
    const { text } = await exposition();
    for (const kind of ['silence', 'maintenance', 'inhibition']) expect(text).toContain(`sightline_alerts_suppressed_total{kind="${kind}"} 0\n`);
    for (const event of ['acquired', 'lost']) expect(text).toContain(`sightline_leadership_changes_total{event="${event}"} 0\n`);
  });

  it('count from 0 once events arrive', async () => {
    const { metrics } = await exposition();
    metrics.incidentsOpened.inc({ priority: 'P2' });
    metrics.incidentsOpened.inc({ priority: 'P2' });
    const text = await metrics.registry.metrics();
    expect(text).toContain('sightline_incidents_opened_total{priority="P2"} 2\n');
    expect(text).toContain('sightline_incidents_opened_total{priority="P1"} 0\n');
  });
});
