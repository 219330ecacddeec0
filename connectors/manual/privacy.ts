import { z } from 'zod';
import { PURPOSES, purposeSchema } from '../../domain/consent';
import { PRIVACY_OPERATIONS } from '../privacy';
import type { ConnectedSystem } from '../privacy';

/**
 * A system that holds people's data but has no API Meridian can call: a call-centre CRM, a POS
 * back office, a spreadsheet a partner keeps. It supports no operation, so every consent change
 * and privacy request that concerns it becomes a manual task with these instructions, which an
 * operator completes (admin API or the Temporal UI signal) once done by hand.
 */

export const ManualSystemSettings = z.object({
  /** What the operator is told to do, e.g. "In the POS back office: Customers → search by email → Marketing: off". */
  instructions: z.string().min(10, 'say what the operator must do in that system').max(2000),
  /** The consent purposes the system acts on; default all. */
  purposes: z.array(purposeSchema).min(1).optional(),
  /** The privacy operations done there by hand; default all. */
  operations: z.array(z.enum(PRIVACY_OPERATIONS)).min(1).optional(),
});
export type ManualSystemSettings = z.infer<typeof ManualSystemSettings>;

export const manualSystem: ConnectedSystem<ManualSystemSettings, Record<string, never>> = {
  system: 'manual',
  label: 'System without an API (manual tasks)',
  settings: ManualSystemSettings,
  credentials: z.object({}).strict(),
  supports: [],
  // Nothing is sent: an operator acts by hand.
  receives: [],
  purposes: PURPOSES,
  purposesFor: (settings) => settings.purposes ?? PURPOSES,
  open: () => ({}),
};
