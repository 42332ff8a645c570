export { DistributedLock, ReadWriteLock, type AcquireOptions, type LockEvents, type SequentialLock } from './lock.ts';
export { LeaderLatch, type LeaderLatchEvents } from './leader.ts';
export { UniqueIdGenerator } from './id.ts';
export { DistributedQueue, type QueueOptions } from './queue.ts';
export { Barrier, DoubleBarrier, type WaitOptions } from './barrier.ts';
export { GroupMembership, type GroupMembershipEvents } from './membership.ts';
export { TimeoutError, protectedCreate, ensurePath, sequenceOf } from './support.ts';
