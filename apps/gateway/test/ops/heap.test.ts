import { describe, expect, it } from 'vitest';
import { tuneHeap } from '../../src/core/heap.js';
import { loadConfig } from '../../src/config/config.js';

describe('the heap growing factor apigpt serve sets', () => {
  it('defaults to 50% and is read from APIGPT_HEAP_GROWING_PERCENT', () => {
    expect(loadConfig({ env: {}, file: undefined }).heapGrowingPercent).toBe(50);
    expect(loadConfig({ env: { APIGPT_HEAP_GROWING_PERCENT: '80' }, file: undefined }).heapGrowingPercent).toBe(80);
    expect(() => loadConfig({ env: { APIGPT_HEAP_GROWING_PERCENT: '-1' }, file: undefined })).toThrow(/APIGPT_HEAP_GROWING_PERCENT/);
  });

  it('sets V8 flag when neither the command line nor NODE_OPTIONS sets one', () => {
    expect(tuneHeap(50, [], '--max-old-space-size=512')).toBe('--heap-growing-percent=50');
  });

  it('leaves the operator’s own flag alone, on the command line or in NODE_OPTIONS', () => {
    expect(tuneHeap(50, ['--heap-growing-percent=30'], '')).toBeNull();
    expect(tuneHeap(50, [], '--heap-growing-percent=30 --max-old-space-size=512')).toBeNull();
  });

  it('0 leaves the factor to V8', () => {
    expect(tuneHeap(0, [], '')).toBeNull();
  });
});
