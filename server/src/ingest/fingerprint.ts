/**
 * @module Alert fingerprints exactly as Prometheus and Alertmanager compute them
 * (`model.LabelSet.Fingerprint`): FNV-1a 64 over label names sorted ascending,
 * each name and value followed by the separator byte 0xff, printed as 16 hex digits.
 *
 * The 64-bit state is kept as two 32-bit halves in plain numbers: this runs on every
 * ingested alert, and BigInt arithmetic was a sixth of the ingest profile.
 */
import type { Labels } from '../domain/alert.js';

const SEPARATOR = 0xff;
const TWO_32 = 0x1_0000_0000;
const encoder = new TextEncoder();
const ASCII = /^[\x00-\x7f]*$/;

class Fnv64 {
  // Offset basis 0xcbf29ce484222325.
  private hi = 0xcbf29ce4;
  private lo = 0x84222325;

  /** h = (h ^ byte) * 0x100000001b3 mod 2^64, where the prime is 2^40 + 0x1b3. */
  byte(b: number): void {
    const lo = (this.lo ^ b) >>> 0;
    const low = lo * 0x1b3; // < 2^41, exact in a double
    const carry = Math.floor(low / TWO_32);
    this.lo = low % TWO_32;
    this.hi = (this.hi * 0x1b3 + carry + ((lo << 8) >>> 0)) % TWO_32;
  }

  text(s: string): void {
    if (ASCII.test(s)) for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
    else for (const b of encoder.encode(s)) this.byte(b);
  }

  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}

export function fingerprintLabels(labels: Labels): string {
  const hash = new Fnv64();
  // Code-unit order equals Go's byte order for the ASCII label names Prometheus allows.
  for (const name of Object.keys(labels).sort()) {
    hash.text(name);
    hash.byte(SEPARATOR);
    hash.text(labels[name] ?? '');
    hash.byte(SEPARATOR);
  }
  return hash.hex();
}
