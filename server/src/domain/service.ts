/**
 * @module Services of the catalogue (configuration management): tier, owner, what they
 * depend on, and how alerts are mapped to them when they carry no `service` label.
 */
import { z } from 'zod';
import { SlaPolicyEntry, type SlaPolicy } from './sla.js';
import { labelNameMap } from './string-map.js';

export interface ServiceMatch {
  /** Every listed label must have exactly this value. */
  labels?: Record<string, string>;
  /** The alert's host is one of these. */
  hosts?: string[];
}

export interface ServiceDefinition {
  name: string;
  /** 1 = business critical (high impact) … 3 = low impact. */
  tier: number;
  owner: string | null;
  /** Services this one needs: an outage there can cause one here. */
  dependsOn: string[];
  match: ServiceMatch;
  /** Service level policy; absent when none is agreed. */
  sla?: SlaPolicy;
}

export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** A service of the catalogue as written in the YAML file or sent to the API. */
export const ServiceEntry = z.strictObject({
  name: z.string().regex(SERVICE_NAME, 'letters, digits and _ . : - (at most 128)'),
  tier: z.number().int().min(1).max(3).default(2),
  owner: z.string().min(1).max(256).nullable().default(null),
  dependsOn: z.array(z.string().min(1).max(128)).max(200).default([]),
  match: z
    .strictObject({
      labels: labelNameMap({ nonEmptyValues: true }).optional(),
      hosts: z.array(z.string().min(1)).max(10_000).optional(),
    })
    .default({}),
  sla: SlaPolicyEntry.optional(),
});

