/** Tokens never reach the logs, whatever requests carry them and whatever goes wrong. */
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startSightline, stopAllProcesses } from '../helpers/processes.js';

afterAll(async () => {
  await stopAllProcesses();
});

describe('secrets', () => {
  it('keeps bearer tokens and routing keys out of the server output, even at trace level', { timeout: 30_000 }, async () => {
    const server = await startSightline({ env: { SIGHTLINE_LOG_LEVEL: 'trace' } });
    const created = (await (await server.postJson('/api/v1/tokens', { name: 'pd', scopes: ['ingest'] })).json()) as { token: string };
    const wrong = 'sl_this-is-a-wrong-token-0123456789';
    await fetch(`${server.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${wrong}` } });
    await fetch(`${server.url}/v2/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: created.token, event_action: 'trigger', payload: { summary: 's', source: 'h', severity: 'info' } }),
    });
    await fetch(`${server.url}/v2/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"routing_key":"${created.token}", broken` });
    await server.postJson('/api/v1/alerts', { alerts: [{ labels: { alertname: 'Secretive' } }] });
    await server.stop();
    const output = server.proc.output();
    expect(output.length).toBeGreaterThan(0);
    for (const secret of [ADMIN_TOKEN, created.token, wrong]) expect(output).not.toContain(secret);
  });
});
