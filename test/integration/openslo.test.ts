/**
 * OpenSLO over HTTP and between databases: `GET /api/v1/slo/openslo` of a catalogue with every
 * reference-vector policy, imported into a fresh database and exported again byte for byte.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOpenSloPolicies } from '../../server/src/services/openslo.js';
import { SLA_VECTOR_SERVICES_YAML } from '../fixtures/sla-vector-services.js';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

describe.each(dialects())('OpenSLO export and import on %s', (dialect) => {
  let source: TestServer;
  let target: TestServer;
  let exported: string;

  const get = async (s: TestServer, query = '', token?: string | null) => s.request('GET', `/api/v1/slo/openslo${query}`, { token: token === undefined ? s.tokens.read : token });
  const policies = async (s: TestServer) => {
    const items = ((await (await s.request('GET', '/api/v1/services', { token: s.tokens.read })).json()) as any).items as any[];
    return items.filter((i) => i.sla).map(({ name, tier, owner, dependsOn, match, sla }) => ({ name, tier, owner, dependsOn, match, sla }));
  };

  beforeAll(async () => {
    source = await startTestServer(dialect, {}, SLA_VECTOR_SERVICES_YAML);
    target = await startTestServer(dialect);
    const res = await get(source);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/yaml; charset=utf-8');
    exported = await res.text();
  });
  afterAll(async () => {
    await source?.close();
    await target?.close();
  });

  it('exports every policy, or one service', async () => {
    expect(exported.match(/^kind: SLO$/gm)).toHaveLength(18); // 16 availability SLOs, 2 metric SLOs
    const one = await (await get(source, '?service=v14-dst')).text();
    expect(one.match(/^kind: \w+/gm)).toEqual(['kind: Service', 'kind: SLI', 'kind: SLO', 'kind: AlertPolicy']);
    expect(exported).toContain(one);
  });

  it('answers 4xx naming what is wrong', async () => {
    expect((await get(source, '', null)).status).toBe(401);
    const unknown = await get(source, '?service=nowhere');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.message).toBe('no service named nowhere');
    expect((await get(source, '?service=no-policy')).status).toBe(404);
    const bad = await get(source, '?service=a%20b');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.message).toMatch(/^invalid query: service: /);
    expect((await get(source, '?serviec=x')).status).toBe(400);
  });

  it('imports into a fresh database (dry run first) and exports the same bytes', async () => {
    const deps = { handle: target.runtime.handle, clock: target.clock };
    const dry = await importOpenSloPolicies(deps, exported, { dryRun: true });
    expect(dry).toMatchObject({ ok: true, value: { dryRun: true, updated: [], warnings: [] } });
    expect(dry.ok && dry.value.created).toHaveLength(16);
    expect(await policies(target)).toEqual([]);

    const applied = await importOpenSloPolicies(deps, exported);
    expect(applied.ok && applied.value.created).toHaveLength(16);
    expect(await (await get(target)).text()).toBe(exported);
    expect(await policies(target)).toEqual(await policies(source));

    // Again: the same services are updated, and nothing changes.
    const again = await importOpenSloPolicies(deps, exported);
    expect(again.ok && again.value.updated).toHaveLength(16);
    expect(await (await get(target)).text()).toBe(exported);
  });

  it('sets only the policy of an existing service when the file has no Service document, and refuses unknown services', async () => {
    const put = await target.request('PUT', '/api/v1/services/lonely', { token: target.tokens.write, json: { tier: 3, owner: 'ops' } });
    expect(put.status).toBe(200);
    const slo = (service: string) => `
apiVersion: openslo/v1
kind: SLO
metadata: { name: ${service}-availability }
spec:
  service: ${service}
  budgetingMethod: Timeslices
  indicator: { metadata: { name: up }, spec: { thresholdMetric: { metricSource: { type: Sightline, spec: {} } } } }
  timeWindow: [{ duration: 7d, isRolling: true }]
  objectives: [{ target: 0.98 }]
`;
    const deps = { handle: target.runtime.handle, clock: target.clock };
    expect(await importOpenSloPolicies(deps, slo('lonely'))).toMatchObject({ ok: true, value: { updated: ['lonely'] } });
    const lonely = (await policies(target)).find((p) => p.name === 'lonely');
    expect(lonely).toMatchObject({ tier: 3, owner: 'ops', sla: { objective: '98', period: '7d' } });
    const refused = await importOpenSloPolicies(deps, slo('ghost'));
    expect(refused).toMatchObject({ ok: false, error: { code: 'VALIDATION', message: 'document 1 (SLO ghost-availability): spec.service: no service named ghost in the catalogue; add its Service document or create the service first' } });
  });
});
