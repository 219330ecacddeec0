import path from 'node:path';

/** The clone's root folder (where package.json is), from the scripts' own place in it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
