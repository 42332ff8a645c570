// The audit recorder process's core: watches /configs and records changes the admin did not make.
export { Recorder, type RecorderOptions, type RecorderStats } from './recorder.ts';
