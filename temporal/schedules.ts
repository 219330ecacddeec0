import { Client, ScheduleNotFoundError, ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';

/** A Meridian Schedule: what it starts, when, and the line ops read in the Temporal UI. */
export interface ScheduleSetting {
  spec: ScheduleOptions['spec'];
  action: ScheduleOptions['action'];
  /** How far back missed runs are caught up after an outage (e.g. '1 hour'). */
  catchupWindow: string;
  description: string;
}

/**
 * Creates the Schedule, or updates its spec, action and policies when it exists (keeping its paused
 * state and note, which ops set in the Temporal UI). A run still going when the next is due is not
 * doubled: the next is skipped.
 */
export async function upsertSchedule(
  client: Client,
  scheduleId: string,
  setting: ScheduleSetting,
): Promise<'created' | 'updated'> {
  const { spec, action, description } = setting;
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: setting.catchupWindow as `${number} hour` };
  const handle = client.schedule.getHandle(scheduleId);
  try {
    await handle.describe();
    await handle.update((previous) => ({ ...previous, spec, action, policies }));
    return 'updated';
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await client.schedule.create({ scheduleId, spec, action, policies, memo: { description } });
    return 'created';
  }
}
