export * from './client';
export * from './mapping';
export * from './sync';
