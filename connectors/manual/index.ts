export { ManualSystemSettings, manualSystem } from './privacy';
