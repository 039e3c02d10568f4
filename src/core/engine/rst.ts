/**
 * Why each RST was sent, with the evidence and how sure the capture lets us be. The replay
 * (engine.ts) decides a RST's reason from the states it holds when the RST leaves its sender
 * (`Replay.resetReason`); what the receiver made of it (believed, ignored as out of window, a
 * challenge ACK) is the replay's too. This module holds the vocabulary and the checks that read
 * only the segments: the IP header's TTL / IP ID against the claimed sender's other segments, and
 * the RFC 5961 challenge-ACK exchange.
 */
import { ACK, RST, type SegmentTable } from '../model/segment';

/**
 * Stable codes (the `reason` of `analyze --json`'s `reset` and `rsts[]`):
 * - `refused`: answers a SYN; nothing listened on the port.
 * - `abort`: the application reset instead of closing (SO_LINGER 0, or close() with data unread).
 * - `abort-unread-data`: the same, and the capture shows data the sender had not read (its window
 *   shrank by what it received, or closed).
 * - `no-connection`: a segment reached a socket that is gone (an orphan that gave up on its FIN,
 *   FIN-WAIT-2 timed out, a SYN-ACK after the client left SYN-SENT, a host that lost its state).
 * - `keepalive-timeout`, `retransmission-timeout`: the sender gave up on an unanswered peer.
 * - `after-fin`: the sender had closed and more data arrived (a benign FIN then RST).
 * - `time-wait-assassination`: the RST reached a side in TIME-WAIT (RFC 1337).
 * - `challenge-ack-exchange`: an in-window RST got a challenge ACK, then this RST at exactly its ACK
 *   number closed the connection (RFC 5961 3.2).
 * - `in-window-challenged`: in the window but not at RCV.NXT: answered by a challenge ACK, ignored.
 * - `out-of-window`: outside the receiver's window: ignored by a correct stack (maybe injected).
 * - `injected`: suspected injection (the claimed sender went on sending, or its TTL / IP ID are
 *   unlike the claimed sender's other segments).
 */
export const RST_REASONS = [
  'refused',
  'abort',
  'abort-unread-data',
  'no-connection',
  'keepalive-timeout',
  'retransmission-timeout',
  'after-fin',
  'time-wait-assassination',
  'challenge-ack-exchange',
  'in-window-challenged',
  'out-of-window',
  'injected',
] as const;
export type RstReason = (typeof RST_REASONS)[number];

/**
 * How sure the capture makes the reason: `certain` when the segments prove it (a RST,ACK answering
 * the SYN; the sender kept sending), `likely` when it is the usual cause of what the segments show,
 * `possible` when other causes fit as well.
 */
export type Confidence = 'certain' | 'likely' | 'possible';

/** What the replay concluded about one RST: rows, not frames (reports turn them into frames). */
export interface RstVerdict {
  reason: RstReason;
  /** One sentence without the final period (it follows "the client reset the connection: "). */
  text: string;
  /** Rows that show it, in order (the RST itself included). */
  evidence: number[];
  confidence: Confidence;
}

export function verdict(reason: RstReason, text: string, evidence: number[], confidence: Confidence): RstVerdict {
  const rows = [...new Set(evidence.filter((r) => r >= 0))].sort((a, b) => a - b);
  return { reason, text, evidence: rows, confidence };
}

/**
 * The TTL or the IPv4 identification of the RST in row `r` unlike the claimed sender's other
 * segments of the connection (`rows`, in order; `dir[q]` the sender of row q, `side` the RST's):
 * every packet of one sender crosses the same hops to the capture point, so one TTL is seen for
 * all of them, and a Linux socket numbers its packets' IP IDs in sequence (a RST sent by the
 * socket itself continues the sequence; a RST from no socket carries 0). Null when nothing is odd
 * or the source gives no IP header fields (text without -v, RFC figures).
 */
export function ipHeaderMismatch(table: SegmentTable, rows: ArrayLike<number>, dir: ArrayLike<number>, side: number, r: number): { text: string; evidence: number[] } | null {
  const ttl = table.ttl[r];
  if (ttl === 0) return null;
  let other = -1;
  let sameTtl = false;
  // The IP IDs of the sender's own segments before the RST, for the run test below.
  const ids: number[] = [];
  let lastIdRow = -1;
  for (let i = 0; i < rows.length; i++) {
    const q = rows[i];
    if (q === r || dir[q] !== side || table.ttl[q] === 0) continue;
    if (table.ttl[q] === ttl) sameTtl = true;
    else other = q;
    if (q < r && !(table.flags[q] & RST) && table.ipId[q] >= 0) {
      ids.push(table.ipId[q]);
      lastIdRow = q;
    }
  }
  if (other >= 0 && !sameTtl) {
    return {
      text: `its TTL (${ttl}) is unlike every other segment of its claimed sender (${table.ttl[other]}): it came from another place on the path, as a middlebox's RST does`,
      evidence: [other, r],
    };
  }
  // IP ID: a sender that numbers its packets in sequence (three or more, each a small step after
  // the one before, as a Linux socket does), and a RST far from that sequence (behind it, or over
  // 1024 ahead) and not 0 (the id of a RST sent with no socket). Senders with constant or random
  // ids say nothing.
  const id = table.ipId[r];
  if (id > 0 && ids.length >= 3) {
    let run = true;
    for (let i = 1; i < ids.length && run; i++) run = inIdRun(ids[i - 1], ids[i]);
    const prev = ids[ids.length - 1];
    if (run && farFromRun(prev, id))
      return {
        text: `its IP ID (${id}) does not continue its claimed sender's numbering (${ids.length} segments in sequence, ${prev} just before): another host or device made it`,
        evidence: [lastIdRow, r],
      };
  }
  return null;
}

/**
 * `id` behind `prev`, or more than 1024 ahead (16-bit wrap-around): a host whose counter is shared
 * by all its traffic (Windows) moves on between one connection's packets, but not that far.
 */
function farFromRun(prev: number, id: number): boolean {
  const d = (id - prev) & 0xffff;
  return d === 0 || d > 1024;
}

/** `id` within a short run after `prev` (16-bit wrap-around). */
function inIdRun(prev: number, id: number): boolean {
  const d = (id - prev) & 0xffff;
  return d >= 1 && d <= 64;
}

/**
 * The RFC 5961 exchange before a believed RST in row r from `side`: an earlier RST of the same side
 * in the window but not at RCV.NXT (`challenged`: rows judged 'in-window' and ignored), a challenge
 * ACK from the receiver after it, and this RST at exactly that ACK's number. The rows, or null.
 */
export function challengeExchange(
  table: SegmentTable,
  rows: ArrayLike<number>,
  dir: ArrayLike<number>,
  side: number,
  r: number,
  challenged: readonly number[],
): [number, number, number] | null {
  for (const first of challenged) {
    if (first >= r || dir[first] !== side) continue;
    for (let i = 0; i < rows.length; i++) {
      const q = rows[i];
      if (q <= first || q >= r || dir[q] === side) continue;
      if (table.flags[q] & ACK && !(table.flags[q] & RST) && table.ack[q] === table.seq[r]) return [first, q, r];
    }
  }
  return null;
}
