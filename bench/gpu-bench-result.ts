/**
 * The result files of one trip to the GPU machine read as one result: each
 * page load there may run only some stages (`?stages=`, bench/gpu-trip.sh).
 */

/** The JSON bench/gpu-bench.html posts: adapter, userAgent, started/finished, one key per stage. */
export type GpuBenchResult = Record<string, unknown>;

/**
 * Merges page results in the order given (a stage in several files: the
 * last one's). All must come from one adapter; `notes` names the files a
 * reader should know about (an error of the page itself, a page stopped
 * before `finished`, whose last stage may be partial).
 */
export function mergeGpuBenchResults(parts: { file: string; result: GpuBenchResult }[]): { result: GpuBenchResult; notes: string[] } {
  if (!parts.length) throw new Error('no result files: give at least one RESULT.json');
  const result: GpuBenchResult = {};
  const notes: string[] = [];
  for (const { file, result: part } of parts) {
    if ('adapter' in result && JSON.stringify(part.adapter) !== JSON.stringify(result.adapter)) {
      throw new Error(`${file} was measured on another adapter (${JSON.stringify(part.adapter)}) than ${parts[0].file} (${JSON.stringify(result.adapter)}): not one result`);
    }
    if (part.error) notes.push(`${file}: ${String(part.error)}`);
    // The page posts after every stage (and every graph row): a file without `finished` was cut off.
    if (!part.finished) notes.push(`${file}: the page was stopped before it finished; its last stage may be partial`);
    Object.assign(result, part);
  }
  return { result, notes };
}
