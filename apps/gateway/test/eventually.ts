// The shared polling helper (test-util/eventually.ts), importable from the gateway's tests as ./eventually.js.
export { eventually, type EventuallyOptions } from '../../../test-util/eventually.js';
