/**
 * Typed errors across the worker boundary. Comlink sends a thrown Error as
 * its message, name and stack; this handler also sends an L2DError's `code`
 * and rebuilds the same class on the other side, so `instanceof
 * ShardError` and `error.code` work in the page. Install it on both sides
 * (the worker and every page that wraps it).
 */
import * as Comlink from 'comlink';
import * as errors from './core/errors.ts';
import { L2DError, type L2DErrorCode } from './core/errors.ts';

// Every code has its class; a new code fails to compile until it is added here.
const CODES: Record<L2DErrorCode, { prototype: L2DError }> = {
  'invalid-argument': errors.InvalidArgumentError,
  'empty-memory': errors.EmptyMemoryError,
  'dimension-mismatch': errors.DimensionMismatchError,
  'non-finite-value': errors.NonFiniteValueError,
  'webgpu-unavailable': errors.WebGpuUnavailableError,
  'device-lost': errors.DeviceLostError,
  'memory-too-large': errors.MemoryTooLargeError,
  'gpu-error': errors.GpuError,
  'data-format': errors.DataFormatError,
  'shard-invalid': errors.ShardError,
  'storage-quota': errors.StorageQuotaError,
  'network-unavailable': errors.NetworkUnavailableError,
  'unsupported-browser': errors.UnsupportedBrowserError,
  aborted: errors.AbortError,
};
interface SerializedThrow {
  isError: boolean;
  value: unknown;
}

const builtin = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<{ value: unknown }, SerializedThrow>;

export function installErrorTransfer(): void {
  Comlink.transferHandlers.set('throw', {
    canHandle: builtin.canHandle,
    serialize(thrown: { value: unknown }) {
      const error = thrown.value;
      if (error instanceof L2DError) {
        return [{ isError: true, value: { message: error.message, name: error.name, stack: error.stack, code: error.code } }, []];
      }
      return builtin.serialize(thrown);
    },
    deserialize(serialized: SerializedThrow) {
      const value = serialized.value as { code?: string; message?: string; name?: string; stack?: string } | undefined;
      const cls = value?.code && Object.hasOwn(CODES, value.code) ? CODES[value.code as L2DErrorCode] : undefined;
      if (serialized.isError && cls && value) {
        const error = new L2DError(value.code as L2DErrorCode, value.message ?? '');
        Object.setPrototypeOf(error, cls.prototype);
        error.name = value.name ?? error.name;
        if (value.stack) error.stack = value.stack;
        throw error;
      }
      return builtin.deserialize(serialized);
    },
  } as Comlink.TransferHandler<unknown, unknown>);
}
