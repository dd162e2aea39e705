import { expect, it } from 'vitest';
import { HISTORY_EXCLUDED, methodName } from './evaluate.ts';

it("names a method with what sets its run apart, empty notes left out, as evaluate and the demo's evaluation write it", () => {
  expect(methodName('L2D-G', [])).toBe('L2D-G');
  expect(methodName('L2D-G', ['', ''])).toBe('L2D-G');
  expect(methodName('L2D-L', ['M=200', '30% memory', HISTORY_EXCLUDED])).toBe('L2D-L (M=200, 30% memory, history excluded)');
  expect(methodName('most-popular', ['', HISTORY_EXCLUDED])).toBe('most-popular (history excluded)');
});
