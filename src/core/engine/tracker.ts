/**
 * Connection tracking: splits the segment table into connections. A connection is keyed by its
 * 4-tuple; a new incarnation starts when a SYN opens the tuple again after the previous connection
 * closed, was reset, or sits in TIME-WAIT, or when a SYN carries a new initial sequence number.
 */

import { ACK, FIN, RST, SYN, type SegmentTable } from '../model/segment';

/** What the tracker knows about one connection while it scans. */
export interface TrackedConnection {
  clientEp: number;
  serverEp: number;
  rolesInferred: boolean;
  incarnation: number;
  rows: number[];
  /** Client ISN when a SYN was seen, else -1. */
  clientIsn: number;
  /** A FIN or RST was seen (in either direction): a later SYN starts a new connection. */
  closing: boolean;
  /** Index of the previous incarnation on this tuple (into the result array), -1 if none. */
  previous: number;
}

/** 2^26: endpoint ids below this pack into a safe-integer key. */
const KEY_BASE = 67108864;

function tupleKey(a: number, b: number): number | string {
  const lo = a < b ? a : b;
  const hi = a < b ? b : a;
  return hi < KEY_BASE ? lo * KEY_BASE + hi : `${lo}:${hi}`;
}

/**
 * Guesses the client of a connection seen without its handshake: the side with the higher port is
 * taken as the client (ephemeral ports are high); on a tie, the sender of the first segment.
 */
function guessClient(table: SegmentTable, row: number): { client: number; server: number } {
  const s = table.src[row];
  const d = table.dst[row];
  const sp = table.endpoints.get(s).port;
  const dp = table.endpoints.get(d).port;
  return sp >= dp ? { client: s, server: d } : { client: d, server: s };
}

export function trackConnections(table: SegmentTable): { connections: TrackedConnection[]; rowConn: Int32Array } {
  const rowConn = new Int32Array(table.length).fill(-1);
  const live = new Map<number | string, number>();
  const connections: TrackedConnection[] = [];
  const { src, dst, flags, seq } = table;

  for (let r = 0; r < table.length; r++) {
    const s = src[r];
    const d = dst[r];
    const f = flags[r];
    const key = tupleKey(s, d);
    let ci = live.get(key);
    const isSyn = (f & (SYN | ACK | RST)) === SYN;

    if (ci !== undefined && isSyn) {
      const c = connections[ci];
      const sameClient = c.clientEp === s;
      // A retransmitted SYN (same ISN) or the peer's SYN of a simultaneous open stays in the connection.
      const retransmission = sameClient && c.clientIsn === seq[r];
      const simultaneousOpen = !sameClient && c.rows.length > 0 && !c.closing && c.clientIsn !== -1 && !hasSynAck(table, c);
      if (!retransmission && !simultaneousOpen && (c.closing || c.clientIsn !== seq[r] || !sameClient)) {
        const next = open(table, r, connections, c.incarnation + 1, ci);
        live.set(key, next);
        ci = next;
      }
    }
    if (ci === undefined) {
      ci = open(table, r, connections, 1, -1);
      live.set(key, ci);
    }
    const c = connections[ci];
    c.rows.push(r);
    rowConn[r] = ci;
    if (f & (FIN | RST)) c.closing = true;
  }
  return { connections, rowConn };
}

function hasSynAck(table: SegmentTable, c: TrackedConnection): boolean {
  for (const r of c.rows) if ((table.flags[r] & (SYN | ACK)) === (SYN | ACK)) return true;
  return false;
}

function open(
  table: SegmentTable,
  r: number,
  connections: TrackedConnection[],
  incarnation: number,
  previous: number,
): number {
  const f = table.flags[r];
  let client: number;
  let server: number;
  let inferred = false;
  let isn = -1;
  if ((f & (SYN | ACK)) === SYN) {
    client = table.src[r];
    server = table.dst[r];
    isn = table.seq[r];
  } else if ((f & (SYN | ACK)) === (SYN | ACK)) {
    // The SYN was not captured, but a SYN-ACK is always sent by the passive side.
    client = table.dst[r];
    server = table.src[r];
  } else {
    ({ client, server } = guessClient(table, r));
    inferred = true;
  }
  connections.push({
    clientEp: client,
    serverEp: server,
    rolesInferred: inferred,
    incarnation,
    rows: [],
    clientIsn: isn,
    closing: false,
    previous,
  });
  return connections.length - 1;
}
