/**
 * @module Alert fingerprints exactly as Prometheus and Alertmanager compute them
 * (`model.LabelSet.Fingerprint`): FNV-1a 64 over label names sorted ascending,
 * each name and value followed by the separator byte 0xff, printed as 16 hex digits.
 */
import type { Labels } from '../domain/alert.js';

const OFFSET = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const encoder = new TextEncoder();

function addBytes(hash: bigint, bytes: Uint8Array): bigint {
  let h = hash;
  for (const byte of bytes) {
    h ^= BigInt(byte);
    h = (h * PRIME) & MASK;
  }
  return h;
}

function addSeparator(hash: bigint): bigint {
  return ((hash ^ BigInt(SEPARATOR)) * PRIME) & MASK;
}

export function fingerprintLabels(labels: Labels): string {
  let hash = OFFSET;
  // Code-unit order equals Go's byte order for the ASCII label names Prometheus allows.
  for (const name of Object.keys(labels).sort()) {
    hash = addSeparator(addBytes(hash, encoder.encode(name)));
    hash = addSeparator(addBytes(hash, encoder.encode(labels[name] ?? '')));
  }
  return hash.toString(16).padStart(16, '0');
}
