/**
 * The service catalogue's dependencies through the API, the configuration file and the services
 * page: a `dependsOn` entry that is no service name is refused with its path; dependency cycles
 * are allowed and listed (`cycles` in `GET /api/v1/services`, a notice on the page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects, startTestServer, type TestServer } from '../helpers/runtime.js';

const ORIGIN = 'http://sightline.test';

// A cycle in the file: queue → worker → queue.
const YAML = `
services:
  - { name: queue, dependsOn: [worker] }
  - { name: worker, dependsOn: [queue, postgres] }
  - { name: postgres }
`;

describe.each(dialects())('service dependencies on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect, {}, YAML);
  });
  afterAll(async () => s?.close());

  const put = (name: string, body: unknown) => s.request('PUT', `/api/v1/services/${name}`, { token: s.tokens.write, json: body });
  const listed = async () => (await (await s.request('GET', '/api/v1/services', { token: s.tokens.read })).json()) as { items: { name: string }[]; cycles: string[][] };

  it('refuses a dependsOn entry that is no service name, naming the entry', async () => {
    for (const bad of ['', 'has space', '../etc', '-db', 'x'.repeat(129)]) {
      const res = await put('web', { dependsOn: ['api', bad] });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string; details: { issues: { path: string }[] } } };
      expect(body.error.code).toBe('VALIDATION');
      expect(body.error.message).toBe(`invalid service: dependsOn.1: ${JSON.stringify(bad)} is not a service name: a letter or digit, then letters, digits and _ . : - (at most 128 in all)`);
    }
    expect((await listed()).items.map((i) => i.name)).not.toContain('web');
  });

  it('lists the cycles of the file and of the API, and drops one once it is broken', async () => {
    expect((await listed()).cycles).toEqual([['queue', 'worker']]);
    expect((await put('api', { dependsOn: ['auth'] })).status).toBe(200);
    expect((await put('auth', { dependsOn: ['session'] })).status).toBe(200);
    expect((await put('session', { dependsOn: ['api'] })).status).toBe(200);
    expect((await listed()).cycles).toEqual([
      ['api', 'auth', 'session'],
      ['queue', 'worker'],
    ]);
    expect((await put('session', { dependsOn: [] })).status).toBe(200);
    expect((await listed()).cycles).toEqual([['queue', 'worker']]);
  });

  it('shows the cycles on the services page', async () => {
    const signIn = await s.runtime.app.request(`${ORIGIN}/ui/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, 'sec-fetch-site': 'same-origin' },
      body: new URLSearchParams({ token: s.tokens.read, next: '/ui/services' }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await (await s.runtime.app.request(`${ORIGIN}/ui/services`, { headers: { cookie } })).text();
    expect(page).toContain('One dependency cycle');
    expect(page).toContain('<li data-cycle="queue worker">queue, worker</li>');
  });
});
