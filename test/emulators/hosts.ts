import { CONNECTOR_HOST_OVERRIDE_ENV } from '../../connectors/http';

/**
 * The emulators listen on 127.0.0.1 over plain http, which the connectors' HTTP core refuses (vendor
 * hosts only, https only, public addresses only). Tests reach them through the core's test-only host
 * override, MERIDIAN_CONNECTOR_HOST_OVERRIDE, which production never sets.
 */
export const EMULATOR_HOST = '127.0.0.1';

/**
 * For a test file whose connectors call the emulators: sets the override in this process (clients
 * built here, the web's settings checks) and so in the workers it starts, which inherit its environment.
 * Call it at the top of the file, before a deployment starts workers.
 */
export function allowEmulatorHosts(): void {
  process.env[CONNECTOR_HOST_OVERRIDE_ENV] = EMULATOR_HOST;
}
