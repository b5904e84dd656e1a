/** @module Readiness: can we reach the database? */
import { pingDatabase, type DatabaseHandle } from '../db/connection.js';

export async function checkReadiness(handle: DatabaseHandle): Promise<{ ok: true } | { ok: false; error: unknown }> {
  try {
    await pingDatabase(handle);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}
