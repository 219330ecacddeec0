import { createGlobalHealthActivities, GlobalHealthDeps } from './region-health/global';
import { createRegionHealthActivities, RegionalHealthDeps } from './region-health/regional';

/**
 * Activities are built from their dependencies. A region's worker gets only the regional set,
 * built on its own region's pool; the global worker gets only the global set.
 */
export type RegionalActivityDeps = RegionalHealthDeps;
export type GlobalActivityDeps = GlobalHealthDeps;

export function createRegionalActivities(deps: RegionalActivityDeps) {
  return {
    ...createRegionHealthActivities(deps),
  };
}

export function createGlobalActivities(deps: GlobalActivityDeps) {
  return {
    ...createGlobalHealthActivities(deps),
  };
}

export type RegionalActivities = ReturnType<typeof createRegionalActivities>;
export type GlobalActivities = ReturnType<typeof createGlobalActivities>;
