/**
 * The progress of a streaming analysis in words, the same for `analyze`'s progress line on stderr
 * (src/cli/analyzeStream.ts) and the language server's `$/progress` reports on a big capture
 * (src/server/bigCapture.ts): bytes read of the total, TCP segments, connections open and
 * finished, and the read rate.
 */
export interface StreamProgress {
  /** Bytes read (compressed bytes for a gzip file), and the file's size (-1: a pipe). */
  bytesRead: number;
  totalBytes: number;
  /** TCP segments decoded. */
  segments: number;
  /** Connections seen, and how many of them are finished. */
  connections: number;
  finished: number;
  /** Seconds since reading started. */
  seconds: number;
}

export function streamProgressText(p: StreamProgress): string {
  const mib = (n: number): string => (n / (1 << 20)).toFixed(n < 10 << 20 ? 1 : 0);
  const read =
    p.totalBytes >= 0
      ? `${mib(p.bytesRead)} of ${mib(p.totalBytes)} MiB (${((100 * p.bytesRead) / Math.max(1, p.totalBytes)).toFixed(0)}%)`
      : `${mib(p.bytesRead)} MiB`;
  const rate = p.bytesRead / (1 << 20) / Math.max(0.001, p.seconds);
  return `${read}, ${p.segments} TCP segments, ${p.connections - p.finished} connections open, ${p.finished} finished, ${rate.toFixed(0)} MiB/s`;
}
