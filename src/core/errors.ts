/**
 * Typed errors of the L2D recommender. Every error carries a stable `code`
 * (it survives structured cloning across a worker boundary, where the class
 * does not) and a message that says what was wrong and what to do.
 */
export type L2DErrorCode =
  | 'invalid-argument'
  | 'empty-memory'
  | 'dimension-mismatch'
  | 'non-finite-value'
  | 'webgpu-unavailable'
  | 'device-lost'
  | 'memory-too-large'
  | 'gpu-error'
  | 'data-format'
  | 'shard-invalid'
  | 'storage-quota'
  | 'network-unavailable'
  | 'unsupported-browser'
  | 'aborted';

/** Each code's class name: written out, since a minified build renames classes. */
export const ERROR_NAMES: Record<L2DErrorCode, string> = {
  'invalid-argument': 'InvalidArgumentError',
  'empty-memory': 'EmptyMemoryError',
  'dimension-mismatch': 'DimensionMismatchError',
  'non-finite-value': 'NonFiniteValueError',
  'webgpu-unavailable': 'WebGpuUnavailableError',
  'device-lost': 'DeviceLostError',
  'memory-too-large': 'MemoryTooLargeError',
  'gpu-error': 'GpuError',
  'data-format': 'DataFormatError',
  'shard-invalid': 'ShardError',
  'storage-quota': 'StorageQuotaError',
  'network-unavailable': 'NetworkUnavailableError',
  'unsupported-browser': 'UnsupportedBrowserError',
  aborted: 'AbortError',
};

export class L2DError extends Error {
  readonly code: L2DErrorCode;
  constructor(code: L2DErrorCode, message: string) {
    super(message);
    this.code = code;
    // The name of the code's class (an L2DError thrown directly takes its code's name too).
    this.name = ERROR_NAMES[code];
  }
}

/** A request argument is outside its valid range (k <= 0, unknown strategy, ...). */
export class InvalidArgumentError extends L2DError {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}

/** The memory holds no rows, so nothing can be ranked. */
export class EmptyMemoryError extends L2DError {
  constructor(message = 'The memory is empty: it holds no (hidden state, item) rows. Build or load a memory with at least one row.') {
    super('empty-memory', message);
  }
}

/** A query's length differs from the memory's hidden size. */
export class DimensionMismatchError extends L2DError {
  constructor(expected: number, actual: number, what = 'query') {
    super('dimension-mismatch', `The ${what} has ${actual} dimensions but the memory's hidden size is ${expected}. Use hidden states from the same model that built the memory.`);
  }
}

/** NaN or Infinity in a query or in memory rows. */
export class NonFiniteValueError extends L2DError {
  constructor(where: string) {
    super('non-finite-value', `${where} holds NaN or Infinity; hidden states must be finite numbers.`);
  }
}

/** No WebGPU adapter or device could be obtained. */
export class WebGpuUnavailableError extends L2DError {
  constructor(reason: string) {
    super('webgpu-unavailable', `WebGPU is unavailable: ${reason}. Use the CPU decoder (device: 'cpu') or a browser with WebGPU enabled.`);
  }
}

/** The GPU device was lost (driver reset, device.destroy(), tab in background on some systems). */
export class DeviceLostError extends L2DError {
  constructor(reason: string) {
    super('device-lost', `The WebGPU device was lost (${reason}). Rebuild the decoder on a new device, or use the CPU decoder.`);
  }
}

/** The memory does not fit the device's limits even when split. */
export class MemoryTooLargeError extends L2DError {
  constructor(message: string) {
    super('memory-too-large', message);
  }
}

/** A WebGPU validation or out-of-memory error raised while decoding. */
export class GpuError extends L2DError {
  constructor(message: string) {
    super('gpu-error', message);
  }
}

/** A data file is missing or malformed; the message names the file and line. */
export class DataFormatError extends L2DError {
  constructor(message: string) {
    super('data-format', message);
  }
}

/** A memory shard failed verification: unknown format, wrong size, bad checksum, or built for another model. */
export class ShardError extends L2DError {
  constructor(message: string) {
    super('shard-invalid', message);
  }
}

/** The browser refused to store more (IndexedDB quota): nothing half-written is left visible. */
export class StorageQuotaError extends L2DError {
  /**
   * `situation`: what had no room, without the advice that follows it in the message (for a caller that goes on
   * without storing, and says so instead).
   */
  constructor(
    message: string,
    readonly situation = message,
  ) {
    super('storage-quota', message);
  }
}

/** A download failed and no complete stored copy can stand in for it. */
export class NetworkUnavailableError extends L2DError {
  constructor(message: string) {
    super('network-unavailable', message);
  }
}

/** The browser lacks something the recommender cannot do without (say, a Worker inside a worker). */
export class UnsupportedBrowserError extends L2DError {
  constructor(message: string) {
    super('unsupported-browser', message);
  }
}

/** The caller's AbortSignal fired: the call stopped (or never started) and changed nothing. Named like the DOM's. */
export class AbortError extends L2DError {
  constructor(what: string) {
    super('aborted', `${what} was aborted by its signal.`);
  }
}
