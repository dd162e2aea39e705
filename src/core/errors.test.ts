import { expect, it } from 'vitest';
import * as errors from './errors.ts';

it('every error class carries its own name and code, also where a minifier renames classes', () => {
  for (const [code, name] of Object.entries(errors.ERROR_NAMES)) {
    const Class = (errors as unknown as Record<string, new (m: string) => errors.L2DError>)[name];
    expect(Class, name).toBeTypeOf('function');
    const error = new Class('x');
    expect([error.name, error.code, error instanceof errors.L2DError]).toEqual([name, code, true]);
  }
});
