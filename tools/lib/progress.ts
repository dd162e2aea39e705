/** A one-line progress bar with rate and ETA for the command-line tools (stderr, redrawn in place on a terminal). */
export class ProgressBar {
  private readonly start = performance.now();
  private last = 0;
  private lastLogged = 0;
  constructor(
    private readonly total: number,
    private readonly unit: string,
    private readonly done0 = 0,
  ) {}

  update(done: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < 250) return;
    this.last = now;
    const seconds = (now - this.start) / 1000;
    const rate = (done - this.done0) / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(this.total, 1));
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${this.unit}  ${rate.toFixed(0)} ${this.unit}/s  ETA ${formatSeconds(eta)}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else if (force || now - this.lastLogged >= 15_000) {
      // Logs and CI get a plain line every 15 s instead of a redrawn bar.
      this.lastLogged = now;
      process.stderr.write(`${line}\n`);
    }
  }

  finish(done: number): void {
    this.update(done, true);
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  // Round once, then split: 359.6 s is 06:00, not 05:60.
  const whole = Math.round(s);
  return `${String(Math.floor(whole / 60)).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}
