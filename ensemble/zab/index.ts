export * from './zxid.ts';
export * from './messages.ts';
export * from './election.ts';
export * from './fle.ts';
export * from './sync.ts';
export * from './ready.ts';
export * from './session.ts';
export * from './node.ts';
