/** The service catalogue's entries: names in `dependsOn`, and the dependency cycles it reports. */
import { describe, expect, it } from 'vitest';
import { findDependencyCycles, ServiceEntry } from '../../server/src/domain/service.js';

const svc = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('findDependencyCycles', () => {
  it.each([
    ['no services', [], []],
    ['a chain', [svc('web', 'api'), svc('api', 'db'), svc('db')], []],
    ['a diamond', [svc('web', 'a', 'b'), svc('a', 'db'), svc('b', 'db'), svc('db')], []],
    ['two services', [svc('b', 'a'), svc('a', 'b')], [['a', 'b']]],
    ['a service on itself', [svc('a', 'a'), svc('b', 'a')], [['a']]],
    ['a loop through three, with a tail and a dependency outside it', [svc('web', 'x'), svc('x', 'y'), svc('y', 'z'), svc('z', 'x', 'db'), svc('db')], [['x', 'y', 'z']]],
    ['two separate loops, listed by name', [svc('q', 'p'), svc('p', 'q'), svc('c', 'd'), svc('d', 'c')], [['c', 'd'], ['p', 'q']]],
    ['two loops sharing a service: one group', [svc('a', 'b'), svc('b', 'a', 'c'), svc('c', 'b')], [['a', 'b', 'c']]],
    ['a dependency outside the catalogue closes nothing', [svc('a', 'ghost'), svc('b', 'a')], []],
  ])('%s', (_name, services, expected) => {
    expect(findDependencyCycles(services)).toEqual(expected);
  });

  it('handles a long chain that closes on itself', () => {
    const n = 5_000;
    const services = Array.from({ length: n }, (_, i) => svc(`s${i}`, `s${(i + 1) % n}`));
    const cycles = findDependencyCycles(services);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(n);
  });
});

describe('ServiceEntry dependsOn', () => {
  it.each(['', ' db', 'db/primary', '-db', 'x'.repeat(129), 'ünïcode'])('refuses %j, naming the entry and the rule', (bad) => {
    const result = ServiceEntry.safeParse({ name: 'web', dependsOn: ['api', bad] });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['dependsOn.1', `${JSON.stringify(bad)} is not a service name: a letter or digit, then letters, digits and _ . : - (at most 128 in all)`],
    ]);
  });

  it('takes valid names', () => {
    expect(ServiceEntry.parse({ name: 'web', dependsOn: ['api', 'db-1.eu:5432', 'X_y'] }).dependsOn).toEqual(['api', 'db-1.eu:5432', 'X_y']);
  });
});
