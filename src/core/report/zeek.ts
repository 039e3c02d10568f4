/**
 * Zeek's conn.log for the TCP connections: records Zeek readers (RITA, Malcolm, Security Onion,
 * Zui, SIEMs) take as they are, as Zeek's TSV (`--format zeek`) or JSON lines (`--format zeek-json`).
 *
 * conn.log's `conn_state`, `history`, byte counts and `duration` are *defined* by Zeek's TCP
 * analyzer (zeek/src/packet_analysis/protocol/tcp, analyzer/protocol/tcp/TCP_Endpoint and
 * TCP_Reassembler, Conn.cc; scripts/base/protocols/conn/main.zeek): a coarse per-endpoint state
 * (INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET) that only follows the
 * control flags, sequence bookkeeping for sizes, and Zeek's timers that decide where a
 * 4-tuple's packets start a new conn.log row. {@link zeekConnections} replays exactly that
 * definition over a connection's segments (the rows the engine assigned to it, in order). It is
 * the format's definition, not a TCP engine: nothing here decides an RFC state, and our own
 * answers (both endpoints' RFC states, the close initiator, why a RST happened, the findings)
 * come from the engine's Analysis into the `tt_*` columns after Zeek's.
 */
import { ACK, FIN, OPT_NO_WINDOW, RST, SYN, type SegmentTable } from '../model/segment';
import type { Analysis, Connection } from '../engine/types';
import { tcpCommunityId } from './communityId';
import { sha1 } from '../sha1';
import { seqAdd, seqDiff } from '../seq';

// Zeek's TCP_Endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h).
const INACTIVE = 0;
const SYN_SENT = 1;
const SYN_ACK_SENT = 2;
const PARTIAL = 3;
const ESTABLISHED = 4;
const CLOSED = 5;
const RESET = 6;

// Zeek's defaults (scripts/base/init-bare.zeek), in seconds.
const TCP_SYN_TIMEOUT = 5;
const TCP_SESSION_TIMER = 6;
const TCP_CONNECTION_LINGER = 5;
const TCP_ATTEMPT_DELAY = 5;
const TCP_CLOSE_DELAY = 5;
const TCP_INACTIVITY_TIMEOUT = 300;
const UDP_INACTIVITY_TIMEOUT = 60;
const TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS = 16384;
const TOO_LARGE_SEQ_DELTA = 1048576;
const TWO32 = 0x1_0000_0000;

/**
 * The TCP ports Zeek's default protocol scripts add to `likely_server_ports` (each one's
 * `redef likely_server_ports += { ports }`: FTP, SSH, SMTP, DNS, Finger, HTTP, KRB, POP3, DCE-RPC,
 * SMB, IMAP, LDAP, SSL/TLS, Modbus, SOCKS, MySQL, MQTT, RDP, XMPP, PostgreSQL, Redis, IRC, DNP3), as
 * read from those scripts; checked against Zeek where its own test traces start without a SYN
 * (22, 80). A connection whose first packet is not a SYN, or is a SYN-ACK, is flipped when it
 * comes from one of these (WantConnection in Zeek's TCP analyzer).
 */
export const ZEEK_LIKELY_SERVER_PORTS: ReadonlySet<number> = new Set([
  21, 22, 25, 53, 79, 80, 81, 88, 110, 135, 139, 143, 389, 443, 445, 502, 563, 585, 587, 614, 631, 636, 989, 990, 992,
  993, 995, 1080, 1434, 1883, 2811, 3128, 3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000,
  8080, 8888, 20000,
]);

// History masks (TCP_Endpoint::HistoryMasks); a responder's are shifted left 16.
const HIST_SYN_PKT = 0x1;
const HIST_FIN_PKT = 0x2;
const HIST_RST_PKT = 0x4;
const HIST_FIN_RST_PKT = 0x8;
const HIST_DATA_PKT = 0x10;
const HIST_ACK_PKT = 0x20;
const HIST_MULTI_FLAG_PKT = 0x40;

/** Zeek's seq_delta(a, b): the signed 32-bit difference a - b. */
function seqDelta(a: number, b: number): number {
  return seqDiff(b, a);
}

function isHandshake(s: number): boolean {
  return s === INACTIVE || s === SYN_SENT || s === SYN_ACK_SENT;
}

/** One side of a Zeek connection (TCP_Endpoint) with its reassembly bookkeeping (TCP_Reassembler). */
class ZEndpoint {
  state = INACTIVE;
  prevState = INACTIVE;
  /** Zeek's start_seq (a 32-bit value kept in 64 bits), last_seq, ack_seq and their wrap counts. */
  startSeq = 0;
  lastSeq = 0;
  ackSeq = 0;
  seqWraps = 0;
  ackWraps = 0;
  histLastSYN = 0;
  histLastFIN = 0;
  histLastRST = 0;
  finCnt = 0;
  finSeq = 0;
  didClose = false;
  rxmtCnt = 0;
  rxmtThresh = 1;
  win0Cnt = 0;
  win0Thresh = 1;
  gapCnt = 0;
  gapThresh = 1;
  pkts = 0;
  ipBytes = 0;
  // Reassembler (relative sequence numbers, starting at 1).
  lastReassem = 1;
  trimSeq = 1;
  skipDeliveries = false;
  /** Out-of-order blocks above lastReassem: [seq, upper) pairs in sequence order. */
  blocks: number[] = [];
  peer!: ZEndpoint;

  constructor(public isOrig: boolean) {}

  startSeq32(): number {
    return this.startSeq >>> 0;
  }

  setState(s: number, conn: ZConn): void {
    if (s === this.state) return;
    // Leaving the handshake for good sets TCP's inactivity timeout (TCP_Endpoint::SetState).
    if (!isHandshake(s) && isHandshake(this.state) && isHandshake(this.peer.state))
      conn.setInactivityTimeout(TCP_INACTIVITY_TIMEOUT);
    this.prevState = this.state;
    this.state = s;
  }

  updateLastSeq(seq: number): void {
    if (seq < this.lastSeq) this.seqWraps++;
    this.lastSeq = seq;
  }

  updateAckSeq(seq: number): void {
    if (seq < this.ackSeq) this.ackWraps++;
    this.ackSeq = seq;
  }

  noDataAcked(): boolean {
    const ack = this.ackWraps * TWO32 + this.ackSeq;
    return ack === this.startSeq || ack === this.startSeq + 1;
  }

  /** TCP_Endpoint::Size(): payload bytes from sequence numbers (may be "negative": a uint64 in Zeek). */
  size(): bigint {
    if (this.prevState === SYN_SENT && this.state === RESET && this.peer.state === INACTIVE && !this.noDataAcked())
      return 0n;
    const last = this.seqWraps * TWO32 + this.lastSeq;
    const ack = this.ackWraps * TWO32 + this.ackSeq;
    let size = BigInt.asUintN(64, BigInt(Math.max(last, ack)) - BigInt(this.startSeq));
    if (size !== 0n) size = BigInt.asUintN(64, size - 1n);
    if (this.finCnt > 0 && size !== 0n) size = BigInt.asUintN(64, size - 1n);
    return size;
  }

  /** ToRelativeSeqSpace of ack_seq (TCP_Reassembler::DataSent's `ack`). */
  relAck(): number {
    return this.ackWraps * TWO32 + this.ackSeq - this.startSeq;
  }
}

/** A conn.log record before formatting. */
export interface ZeekConn {
  /** First packet's time: whole seconds and nanoseconds. */
  tsSec: number;
  tsNsec: number;
  /** Duration in nanoseconds, or -1 when unset (Zeek leaves duration and byte counts unset at 0). */
  durationNs: number;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  origBytes: bigint;
  respBytes: bigint;
  connState: string;
  missedBytes: number;
  history: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  /** The engine's connection this row belongs to (its id) and which of its Zeek rows it is (0-based). */
  connection: number;
  part: number;
}

const T_ATTEMPT = 0;
const T_EXPIRE = 1;
const T_DELETE = 2;

/** One Zeek connection in the making (Connection + TCPSessionAdapter). */
class ZConn {
  orig = new ZEndpoint(true);
  resp = new ZEndpoint(false);
  /** Endpoint ids (the table's endpoint table) of the originator and the responder. */
  origEp: number;
  respEp: number;
  history = '';
  histSeen = 0;
  startSec: number;
  startNsec: number;
  lastSec: number;
  lastNsec: number;
  isPartial = false;
  isActive = true;
  firstPacketSeen = 0;
  inactivityTimeout = UDP_INACTIVITY_TIMEOUT;
  missedBytes = 0;
  /** Pending timers: kind and time (seconds, a float: Zeek's network time). */
  timers: { kind: number; at: number }[] = [];

  constructor(origEp: number, respEp: number, sec: number, nsec: number) {
    this.orig.peer = this.resp;
    this.resp.peer = this.orig;
    this.origEp = origEp;
    this.respEp = respEp;
    this.startSec = this.lastSec = sec;
    this.startNsec = this.lastNsec = nsec;
    this.timers.push({ kind: T_EXPIRE, at: sec + nsec / 1e9 + TCP_SYN_TIMEOUT });
  }

  lastTime(): number {
    return this.lastSec + this.lastNsec / 1e9;
  }

  setInactivityTimeout(t: number): void {
    this.inactivityTimeout = t;
  }

  addHistory(code: string): void {
    this.history += code;
  }

  /** Connection::CheckHistory: true when the kind was seen before (else records it). */
  checkHistory(ep: ZEndpoint, mask: number, code: string): boolean {
    if (!ep.isOrig) {
      mask <<= 16;
      code = code.toLowerCase();
    }
    if ((this.histSeen & mask) === 0) {
      this.histSeen |= mask;
      this.history += code;
      return false;
    }
    return true;
  }

  epHistory(ep: ZEndpoint, code: string): void {
    this.history += ep.isOrig ? code : code.toLowerCase();
  }

  /** Connection::ScaledHistoryEntry: the letter at the 1st, 10th, 100th... occurrence. */
  scaled(ep: ZEndpoint, code: string, which: 'rxmt' | 'win0' | 'gap'): void {
    const c = ep.isOrig ? code : code.toLowerCase();
    if (which === 'rxmt') {
      if (++ep.rxmtCnt === ep.rxmtThresh) {
        this.history += c;
        ep.rxmtThresh *= 10;
      }
    } else if (which === 'win0') {
      if (++ep.win0Cnt === ep.win0Thresh) {
        this.history += c;
        ep.win0Thresh *= 10;
      }
    } else if (++ep.gapCnt === ep.gapThresh) {
      this.history += c;
      ep.gapThresh *= 10;
    }
  }

  /** Connection::FlipRoles: the originator becomes the responder and the other way round; history gets ^. */
  flipRoles(): void {
    const e = this.origEp;
    this.origEp = this.respEp;
    this.respEp = e;
    const o = this.orig;
    this.orig = this.resp;
    this.resp = o;
    this.orig.isOrig = true;
    this.resp.isOrig = false;
    this.history += '^';
  }
}

/** The relative sequence number of `cur` (get_relative_seq); sets `underflow.v` when below the start. */
function relativeSeq(ep: ZEndpoint, cur: number, last: number, wraps: number, underflow: { v: boolean }): number {
  const delta = seqDelta(cur, last);
  if (delta < 0) {
    if (wraps && cur > last) wraps--;
  } else if (delta > 0) {
    if (cur < last) wraps++;
  }
  if (wraps === 0) {
    const d = seqDelta(cur, ep.startSeq32());
    if (d < 0) underflow.v = true;
    return d;
  }
  return wraps * TWO32 + cur - ep.startSeq;
}

/** init_endpoint. */
function initEndpoint(ep: ZEndpoint, flags: number, seq: number, lastSeq: number): void {
  const syn = (flags & SYN) !== 0;
  switch (ep.state) {
    case INACTIVE:
      if (syn) {
        ep.ackSeq = seq;
        ep.startSeq = seq;
      } else {
        // A partial connection: numbered as though a SYN had been seen.
        ep.ackSeq = seqAdd(seq, -1);
        ep.startSeq = seqAdd(seq, -1);
        lastSeq = seq;
      }
      ep.lastSeq = lastSeq;
      break;
    case SYN_SENT:
    case SYN_ACK_SENT:
      if (syn && seq !== ep.startSeq32()) {
        ep.startSeq = seq;
        ep.ackSeq = seq;
        ep.lastSeq = lastSeq;
      }
      break;
    case ESTABLISHED:
    case PARTIAL:
      if (syn) {
        ep.startSeq = seq;
        ep.ackSeq = seq;
        ep.lastSeq = lastSeq;
      }
      break;
    case RESET:
      if (syn && ep.prevState === INACTIVE) {
        ep.startSeq = seq;
        ep.ackSeq = seq;
        ep.lastSeq = lastSeq;
      }
      break;
  }
}

/** update_history. */
function updateHistory(conn: ZConn, ep: ZEndpoint, flags: number, relSeq: number, len: number): void {
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bits > 1) {
    if (fin && rst) conn.checkHistory(ep, HIST_FIN_RST_PKT, 'I');
    else conn.checkHistory(ep, HIST_MULTI_FLAG_PKT, 'Q');
  } else if (bits === 1) {
    if (syn) {
      const code = flags & ACK ? 'H' : 'S';
      if (conn.checkHistory(ep, HIST_SYN_PKT, code) && relSeq !== ep.histLastSYN) conn.epHistory(ep, code);
      ep.histLastSYN = relSeq;
    }
    if (fin) {
      if (conn.checkHistory(ep, HIST_FIN_PKT, 'F') && relSeq + len !== ep.histLastFIN) conn.epHistory(ep, 'F');
      ep.histLastFIN = relSeq + len;
    }
    if (rst) {
      if (conn.checkHistory(ep, HIST_RST_PKT, 'R') && relSeq !== ep.histLastRST) conn.epHistory(ep, 'R');
      ep.histLastRST = relSeq;
    }
  } else if (len) conn.checkHistory(ep, HIST_DATA_PKT, 'D');
  else if (flags & ACK) conn.checkHistory(ep, HIST_ACK_PKT, 'A');
}

/**
 * Zeek's coarse endpoint states after one packet (TCPSessionAdapter::UpdateStateMachine): the one
 * place they change. Control flags alone move them (Zeek's definition, which conn_state reads);
 * returns Zeek's do_close.
 */
function zeekEndpointStates(
  conn: ZConn,
  t: number,
  ep: ZEndpoint,
  peer: ZEndpoint,
  seq: number,
  len: number,
  isOrig: boolean,
  flags: number,
): boolean {
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  const ack = (flags & ACK) !== 0;
  let doClose = false;
  switch (ep.state) {
    case INACTIVE:
      if (syn) {
        if (isOrig) {
          ep.setState(ack ? SYN_ACK_SENT : SYN_SENT, conn);
          conn.timers.push({ kind: T_ATTEMPT, at: t + TCP_ATTEMPT_DELAY });
        } else {
          if (!ack && peer.state === SYN_ACK_SENT && seq === ep.startSeq32()) {
            // A SYN/SYN-ACK reversal: flip the endpoints and establish.
            conn.isPartial = false;
            conn.flipRoles();
            peer.setState(ESTABLISHED, conn);
          }
          if (peer.state === SYN_SENT) peer.setState(ESTABLISHED, conn);
          ep.setState(ESTABLISHED, conn);
        }
      }
      if (fin) {
        ep.setState(CLOSED, conn);
        doClose = true;
      }
      if (rst) {
        ep.setState(RESET, conn);
        doClose = true;
      }
      if (ep.state === INACTIVE) {
        if (!isOrig && len === 0 && conn.orig.state === SYN_SENT) {
          // An ACK of the SYN before the SYN-ACK: not a partial connection.
        } else if (ack && peer.state === ESTABLISHED) {
          ep.setState(ESTABLISHED, conn);
          conn.isPartial = false;
        } else ep.setState(PARTIAL, conn);
      }
      break;
    case SYN_SENT:
    case SYN_ACK_SENT:
      if (fin) {
        ep.setState(CLOSED, conn);
        doClose = true;
      }
      if (rst) {
        ep.setState(RESET, conn);
        conn.isActive = false;
        doClose = true;
      }
      break;
    case ESTABLISHED:
    case PARTIAL:
      if (syn && ep.state === PARTIAL && peer.state === INACTIVE && !ack) ep.setState(SYN_SENT, conn);
      if (fin && !rst) {
        ep.setState(CLOSED, conn);
        // A FIN then a RST from the peer was a normal termination after all.
        if (peer.state === RESET && peer.prevState === CLOSED) peer.setState(CLOSED, conn);
        doClose = true;
      }
      if (rst) {
        ep.setState(RESET, conn);
        doClose = true;
        if (peer.state !== RESET || peer.prevState !== ESTABLISHED) conn.isActive = false;
      }
      break;
    case CLOSED:
      if (rst && peer.state !== CLOSED) {
        ep.setState(RESET, conn);
        if (!ep.didClose) doClose = true;
      }
      break;
    case RESET:
      break;
  }
  return doClose;
}

/** TCPSessionAdapter::ConnectionClosed (no data pending: we do not reassemble payloads). */
function connectionClosed(conn: ZConn, ep: ZEndpoint, peer: ZEndpoint): void {
  if (ep.didClose) return;
  ep.didClose = true;
  const complete = ep.state === RESET || peer.didClose || peer.state === INACTIVE;
  if (complete) {
    if (ep.prevState !== INACTIVE || peer.state !== INACTIVE) conn.isActive = false;
    // CancelTimers(), then the delete timer.
    conn.timers = [{ kind: T_DELETE, at: conn.lastTime() + TCP_CLOSE_DELAY }];
  } else if (ep.prevState !== INACTIVE) conn.timers.push({ kind: T_EXPIRE, at: conn.lastTime() + TCP_SESSION_TIMER });
}

function isClean(e: ZEndpoint): boolean {
  return e.state === ESTABLISHED || (e.state === CLOSED && e.prevState === ESTABLISHED);
}

/** TCP_Reassembler::Gap: a history letter and missed bytes only while both sides are cleanly established or closing. */
function gap(conn: ZConn, ep: ZEndpoint, len: number): void {
  if (isClean(ep) && isClean(ep.peer)) {
    conn.scaled(ep, 'G', 'gap');
    conn.missedBytes += len;
  }
}

/** TCP_Reassembler::Undelivered: the holes below `upTo` are gaps. */
function undelivered(conn: ZConn, ep: ZEndpoint, upTo: number): void {
  if (upTo <= 2 && conn.isPartial) return;
  if (!ep.skipDeliveries) {
    const b = ep.blocks;
    while (b.length > 0 && b[0] < upTo) {
      if (b[0] > ep.lastReassem) {
        gap(conn, ep, b[0] - ep.lastReassem);
        ep.lastReassem = b[0];
      }
      if (b[1] > ep.lastReassem) ep.lastReassem = b[1];
      b.splice(0, 2);
      deliverContiguous(ep);
    }
    if (upTo > ep.lastReassem) gap(conn, ep, upTo - ep.lastReassem);
  }
  if (upTo > ep.lastReassem) ep.lastReassem = upTo;
}

/** Delivers the blocks that now start at or below lastReassem (BlockInserted). */
function deliverContiguous(ep: ZEndpoint): void {
  const b = ep.blocks;
  while (b.length > 0 && b[0] <= ep.lastReassem) {
    if (b[1] > ep.lastReassem) ep.lastReassem = b[1];
    b.splice(0, 2);
  }
}

/** TCP_Reassembler::DataSent: payload [seq, seq + len) in relative numbers. */
function dataSent(ep: ZEndpoint, seq: number, len: number): void {
  if (ep.skipDeliveries) return;
  const ack = ep.relAck();
  let upper = seq + len;
  if (seq < ack) {
    if (upper <= ack) return;
    seq = ack;
  }
  if (upper <= ep.trimSeq) return;
  if (seq < ep.trimSeq) seq = ep.trimSeq;
  if (upper <= ep.lastReassem) return;
  if (seq <= ep.lastReassem) {
    ep.lastReassem = upper;
    deliverContiguous(ep);
  } else {
    // Insert [seq, upper) among the blocks, merging overlaps.
    const b = ep.blocks;
    let i = 0;
    while (i < b.length && b[i + 1] < seq) i += 2;
    let j = i;
    while (j < b.length && b[j] <= upper) {
      seq = Math.min(seq, b[j]);
      upper = Math.max(upper, b[j + 1]);
      j += 2;
    }
    b.splice(i, j - i, seq, upper);
  }
  const above = ep.blocks.length > 0 ? ep.blocks[ep.blocks.length - 1] - ep.lastReassem : 0;
  if (ep.noDataAcked() && above > TCP_MAX_ABOVE_HOLE_WITHOUT_ANY_ACKS) {
    ep.blocks = [];
    ep.skipDeliveries = true;
  }
}

/** TCP_Reassembler::AckReceived for the endpoint whose data `seq` acknowledges. */
function ackReceived(conn: ZConn, ep: ZEndpoint, seq: number): void {
  if (ep.finCnt > 0 && seq >= ep.finSeq) seq = ep.finSeq - 1;
  if (seq <= ep.trimSeq) return;
  if (seq > ep.lastReassem) undelivered(conn, ep, seq);
  const b = ep.blocks;
  while (b.length > 0 && b[1] <= seq) b.splice(0, 2);
  ep.trimSeq = seq;
}

/** One packet of a Zeek connection (TCPAnalyzer::DeliverPacket + TCPSessionAdapter::Process). */
function zeekPacket(conn: ZConn, t: SegmentTable, r: number, isOrig: boolean): void {
  const ep = isOrig ? conn.orig : conn.resp;
  const peer = ep.peer;
  const flags = t.flags[r];
  const seq = t.seq[r];
  const ackSeq = t.ack[r];
  // The payload length as the IP header gives it (Zeek reads it there even when the link layer
  // carried less); without one (text traces, a length of 0 under segmentation offload, where the
  // segment is as long as the link says) the segment's `len`.
  const ipb = t.ipBytes[r];
  const len = ipb > t.hdrBytes[r] ? ipb - t.hdrBytes[r] : t.len[r];
  const time = t.time(r);
  const syn = (flags & SYN) !== 0;
  const fin = (flags & FIN) !== 0;
  const rst = (flags & RST) !== 0;
  ep.pkts++;
  ep.ipBytes += t.ipBytes[r];
  if (isOrig) {
    if (!(conn.firstPacketSeen & 1)) conn.isPartial = !syn || (flags & ACK) !== 0;
  } else if (!(conn.firstPacketSeen & 2) && !conn.isPartial) conn.isPartial = !syn;
  const segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0) - (rst ? len : 0);
  const onePast = seqAdd(seq, segLen);
  initEndpoint(ep, flags, seq, onePast);
  const underflow = { v: false };
  const relSeq = relativeSeq(ep, seq, ep.lastSeq, ep.seqWraps, underflow);
  updateHistory(conn, ep, flags, relSeq, len);
  // update_window: a zero window is news unless with or after a RST, or after the peer's FIN.
  if (t.win[r] === 0 && !(t.opts[r] & OPT_NO_WINDOW) && !rst && peer.state !== CLOSED && ep.state !== RESET)
    conn.scaled(ep, 'W', 'win0');
  if (!conn.orig.didClose || !conn.resp.didClose) {
    conn.lastSec = t.tsSec[r];
    conn.lastNsec = t.tsNsec[r];
  }
  if (fin) {
    ep.finCnt++;
    ep.finSeq = relSeq + segLen;
  }
  let relAck = 0;
  if (flags & ACK) {
    if (peer.state === INACTIVE) {
      relAck = 1;
      // init_peer: number the peer as though its SYN had been seen.
      peer.startSeq = seqAdd(ackSeq, -1);
      peer.ackSeq = seqAdd(ackSeq, -1);
      peer.lastSeq = seqAdd(ackSeq, -1);
    } else {
      const ackUnderflow = { v: false };
      relAck = relativeSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps, ackUnderflow);
      if (ackUnderflow.v) relAck = 0;
      else if (!rst) {
        // update_ack_seq
        const d = seqDelta(ackSeq, peer.ackSeq);
        if (!(ackSeq === 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0) peer.updateAckSeq(ackSeq);
      }
    }
  }
  // update_last_seq
  const deltaLast = seqDelta(onePast, ep.lastSeq);
  if ((syn || rst) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) {
    // untrusted
  } else if (fin && ep.lastSeq === seqAdd(ep.startSeq32(), 1)) ep.updateLastSeq(onePast);
  else if (ep.state === RESET) {
    // no later sequence numbers are trusted
  } else if (deltaLast > 0) ep.updateLastSeq(onePast);
  else if (len > 0) conn.scaled(ep, 'T', 'rxmt');
  const doClose = zeekEndpointStates(conn, time, ep, peer, seq, len, isOrig, flags);
  if (flags & ACK) ackReceived(conn, peer, relAck);
  if (isOrig) conn.firstPacketSeen |= 1;
  else conn.firstPacketSeen |= 2;
  if (len > 0 && !rst && !underflow.v) dataSent(ep, syn ? relSeq + 1 : relSeq, len);
  if (doClose) connectionClosed(conn, ep, peer);
}

/**
 * Runs the timers due by `now` (before a packet at that time, as Zeek's timer manager does);
 * true when one of them removed the connection (its row is then final).
 */
function runTimers(conn: ZConn, now: number): boolean {
  if (now >= conn.lastTime() + conn.inactivityTimeout) return true;
  for (;;) {
    let k = -1;
    for (let i = 0; i < conn.timers.length; i++)
      if (conn.timers[i].at <= now && (k < 0 || conn.timers[i].at < conn.timers[k].at)) k = i;
    if (k < 0) return false;
    const { kind, at } = conn.timers[k];
    conn.timers.splice(k, 1);
    const o = conn.orig;
    const r = conn.resp;
    if (kind === T_DELETE) return true;
    if (!conn.isActive) continue;
    if (kind === T_ATTEMPT) {
      if ((o.state === SYN_SENT || o.state === SYN_ACK_SENT) && r.state === INACTIVE) return true;
    } else {
      if (conn.lastTime() + TCP_CONNECTION_LINGER < at) {
        if (
          (o.didClose || r.didClose) &&
          ((o.didClose && r.didClose) ||
            o.state === RESET ||
            r.state === RESET ||
            o.state === INACTIVE ||
            r.state === INACTIVE)
        )
          return true;
        if (r.state === INACTIVE && o.state === INACTIVE) return true;
      }
      conn.timers.push({ kind: T_EXPIRE, at: at + TCP_SESSION_TIMER });
    }
  }
}

/** Session manager: does this packet end the connection and start a new one (TCPSessionAdapter::IsReuse)? */
function isReuse(conn: ZConn, t: SegmentTable, r: number): boolean {
  const flags = t.flags[r];
  if (!(flags & SYN)) return false;
  let connOrig = conn.orig;
  if (flags & ACK) {
    if (conn.orig.state !== INACTIVE) return false;
    connOrig = conn.resp;
  }
  if (!(conn.orig.didClose || conn.resp.didClose)) {
    const seq = t.seq[r];
    if (seq === connOrig.startSeq32()) return false;
    if (
      !(flags & ACK) &&
      connOrig.state === SYN_ACK_SENT &&
      conn.resp.state === INACTIVE &&
      seq === conn.resp.startSeq32()
    )
      return false;
  }
  return true;
}

/** The originator of a connection started by row r (WantConnection's flip for partial starts). */
function newConn(t: SegmentTable, r: number, serverPorts: ReadonlySet<number>): ZConn {
  const flags = t.flags[r];
  const src = t.endpoints.get(t.src[r]).port;
  const dst = t.endpoints.get(t.dst[r]).port;
  let flip = false;
  if (!(flags & SYN) || flags & ACK) {
    if (serverPorts.has(src)) flip = serverPorts.has(dst) ? !(flags & SYN) && src < dst : true;
  }
  const conn = new ZConn(t.src[r], t.dst[r], t.tsSec[r], t.tsNsec[r]);
  if (flip) conn.flipRoles();
  return conn;
}

/** Zeek's conn_state() (scripts/base/protocols/conn/main.zeek). */
export function zeekConnState(os: number, rs: number, origSize: bigint, respSize: bigint, history: string): string {
  const oInactive = os === INACTIVE || os === PARTIAL;
  const rInactive = rs === INACTIVE || rs === PARTIAL;
  if (rs === RESET) {
    if (os === SYN_SENT || os === SYN_ACK_SENT || (os === RESET && origSize === 0n && respSize === 0n)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R.*$/.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === CLOSED && os === CLOSED) return 'SF';
  if (os === CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === SYN_SENT && rs === INACTIVE) return 'S0';
  if (os === ESTABLISHED && rs === ESTABLISHED) return 'S1';
  return 'OTH';
}

function record(t: SegmentTable, conn: ZConn, c: Connection, part: number): ZeekConn {
  const origE = t.endpoints.get(conn.origEp);
  const respE = t.endpoints.get(conn.respEp);
  const durNs = (conn.lastSec - conn.startSec) * 1e9 + (conn.lastNsec - conn.startNsec);
  const os = conn.orig.size();
  const rs = conn.resp.size();
  return {
    tsSec: conn.startSec,
    tsNsec: conn.startNsec,
    durationNs: durNs > 0 ? durNs : -1,
    origH: origE.addr,
    origP: origE.port,
    respH: respE.addr,
    respP: respE.port,
    origBytes: os,
    respBytes: rs,
    connState: zeekConnState(conn.orig.state, conn.resp.state, os, rs, conn.history),
    missedBytes: conn.missedBytes,
    history: conn.history,
    origPkts: conn.orig.pkts,
    origIpBytes: conn.orig.ipBytes,
    respPkts: conn.resp.pkts,
    respIpBytes: conn.resp.ipBytes,
    connection: c.id,
    part,
  };
}

/**
 * The conn.log rows of one of the engine's connections: its segments replayed through Zeek's TCP
 * analyzer definition. Usually one row; more where Zeek's timers end a connection that the engine
 * keeps (an unanswered SYN's 5 s attempt timer, 5 s after a completed close, 5 minutes idle), or
 * a SYN reuses the 4-tuple.
 */
export function zeekConnections(
  a: Analysis,
  c: Connection,
  serverPorts: ReadonlySet<number> = ZEEK_LIKELY_SERVER_PORTS,
): ZeekConn[] {
  const t = a.table;
  const out: ZeekConn[] = [];
  let conn: ZConn | null = null;
  for (const r of c.rows) {
    const now = t.time(r);
    if (conn !== null && (runTimers(conn, now) || isReuse(conn, t, r))) {
      out.push(record(t, conn, c, out.length));
      conn = null;
    }
    conn ??= newConn(t, r, serverPorts);
    zeekPacket(conn, t, r, t.src[r] === conn.origEp);
  }
  if (conn !== null) out.push(record(t, conn, c, out.length));
  return out;
}

// ---- Writing ----

export interface ZeekOptions {
  /** Add Zeek's `community_id` column (as Zeek's community-id policy script names it). */
  communityId: boolean;
  /** Zeek's `likely_server_ports` (default: those of Zeek's default scripts; a bare `zeek -b` has fewer). */
  likelyServerPorts?: ReadonlySet<number>;
}

const ZEEK_FIELDS: readonly [string, string][] = [
  ['ts', 'time'],
  ['uid', 'string'],
  ['id.orig_h', 'addr'],
  ['id.orig_p', 'port'],
  ['id.resp_h', 'addr'],
  ['id.resp_p', 'port'],
  ['proto', 'enum'],
  ['service', 'string'],
  ['duration', 'interval'],
  ['orig_bytes', 'count'],
  ['resp_bytes', 'count'],
  ['conn_state', 'string'],
  ['local_orig', 'bool'],
  ['local_resp', 'bool'],
  ['missed_bytes', 'count'],
  ['history', 'string'],
  ['orig_pkts', 'count'],
  ['orig_ip_bytes', 'count'],
  ['resp_pkts', 'count'],
  ['resp_ip_bytes', 'count'],
  ['tunnel_parents', 'set[string]'],
];
const CID_FIELD: [string, string] = ['community_id', 'string'];
const TT_FIELDS: readonly [string, string][] = [
  ['tt_close_initiator', 'string'],
  ['tt_final_client', 'string'],
  ['tt_final_server', 'string'],
  ['tt_reset_reason', 'string'],
  ['tt_findings', 'set[string]'],
];

function fields(o: ZeekOptions): [string, string][] {
  return [...ZEEK_FIELDS, ...(o.communityId ? [CID_FIELD] : []), ...TT_FIELDS];
}

/** Seconds and nanoseconds as Zeek prints a time or interval (%.6f: microseconds, rounded). */
function fixed6(sec: number, nsec: number): string {
  if (Number.isNaN(sec)) return '-';
  let us = Math.round(nsec / 1000);
  let s = sec;
  if (us >= 1_000_000) {
    s += 1;
    us -= 1_000_000;
  }
  return `${s}.${String(us).padStart(6, '0')}`;
}

function durationText(ns: number): string {
  return fixed6(Math.floor(ns / 1e9), ns % 1e9);
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A Zeek-style uid ("C" + base62 of 96 bits), deterministic: from the SHA-1 of the row's 4-tuple,
 * first timestamp and connection. Zeek's own uids are random, so tools match rows by 4-tuple and ts.
 */
export function zeekUid(z: ZeekConn): string {
  const text = `${z.origH}|${z.origP}|${z.respH}|${z.respP}|${z.tsSec}.${z.tsNsec}|${z.connection}|${z.part}`;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  let v = 0n;
  const h = sha1(bytes);
  for (let i = 0; i < 12; i++) v = (v << 8n) | BigInt(h[i]);
  let s = '';
  while (v > 0n) {
    s = BASE62[Number(v % 62n)] + s;
    v /= 62n;
  }
  return 'C' + s;
}

/** Zeek's ASCII escaping of a string value (separator, non-printables as \xNN). */
function esc(s: string): string {
  if (s === '') return '(empty)';
  if (s === '-') return '\\x2d';
  return s.replace(/[\t\\,\x00-\x1f\x7f-\uffff]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 256 ? `\\x${code.toString(16).padStart(2, '0')}` : ch;
  });
}

interface OurColumns {
  closeInitiator: string;
  /** RFC 9293 states at the end; null where the capture cannot show one (as `--json` says). */
  finalClient: string | null;
  finalServer: string | null;
  resetReason: string | null;
  findings: string[];
}

function ours(c: Connection): OurColumns {
  const codes: string[] = [];
  for (const f of c.findings) if (!codes.includes(f.code)) codes.push(f.code);
  return {
    closeInitiator: c.closeInitiator,
    finalClient: c.finalState.client === 'UNKNOWN' ? null : c.finalState.client,
    finalServer: c.finalState.server === 'UNKNOWN' ? null : c.finalState.server,
    resetReason: c.reset ? c.reset.reason : null,
    findings: codes,
  };
}

function communityIdOfRow(z: ZeekConn): string {
  return tcpCommunityId(
    { ipVersion: z.origH.includes(':') ? 6 : 4, addr: z.origH, port: z.origP },
    { ipVersion: z.respH.includes(':') ? 6 : 4, addr: z.respH, port: z.respP },
  );
}

/** The TSV header (Zeek's ASCII writer): `#separator` ... `#types`. `open` is "YYYY-MM-DD-HH-MM-SS". */
export function zeekTsvHeader(o: ZeekOptions, open: string): string {
  const f = fields(o);
  return (
    '#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n' +
    `#open\t${open}\n#fields\t${f.map((x) => x[0]).join('\t')}\n#types\t${f.map((x) => x[1]).join('\t')}\n`
  );
}

export function zeekTsvFooter(close: string): string {
  return `#close\t${close}\n`;
}

/** Zeek's timestamp for #open / #close lines. */
export function zeekLogTime(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
}

/** The conn.log TSV lines of one connection (one per Zeek row). */
export function zeekTsvLines(a: Analysis, c: Connection, o: ZeekOptions): string {
  const tt = ours(c);
  let out = '';
  for (const z of zeekConnections(a, c, o.likelyServerPorts)) {
    const dur = z.durationNs >= 0;
    const v = [
      fixed6(z.tsSec, z.tsNsec),
      zeekUid(z),
      z.origH,
      String(z.origP),
      z.respH,
      String(z.respP),
      'tcp',
      '-',
      dur ? durationText(z.durationNs) : '-',
      dur ? z.origBytes.toString() : '-',
      dur ? z.respBytes.toString() : '-',
      z.connState,
      '-',
      '-',
      String(z.missedBytes),
      z.history === '' ? '-' : esc(z.history),
      String(z.origPkts),
      String(z.origIpBytes),
      String(z.respPkts),
      String(z.respIpBytes),
      '-',
    ];
    if (o.communityId) v.push(communityIdOfRow(z));
    v.push(
      esc(tt.closeInitiator),
      tt.finalClient === null ? '-' : esc(tt.finalClient),
      tt.finalServer === null ? '-' : esc(tt.finalServer),
      tt.resetReason === null ? '-' : esc(tt.resetReason),
      tt.findings.length === 0 ? '(empty)' : tt.findings.map(esc).join(','),
    );
    out += v.join('\t') + '\n';
  }
  return out;
}

/** The conn.log JSON lines of one connection (Zeek's JSON writer: unset fields left out). */
export function zeekJsonLines(a: Analysis, c: Connection, o: ZeekOptions): string {
  const tt = ours(c);
  let out = '';
  for (const z of zeekConnections(a, c, o.likelyServerPorts)) {
    const dur = z.durationNs >= 0;
    const ts = fixed6(z.tsSec, z.tsNsec);
    let s = `{${ts === '-' ? '' : `"ts":${ts},`}"uid":"${zeekUid(z)}","id.orig_h":${JSON.stringify(z.origH)},"id.orig_p":${z.origP},"id.resp_h":${JSON.stringify(z.respH)},"id.resp_p":${z.respP},"proto":"tcp"`;
    if (dur) s += `,"duration":${durationText(z.durationNs)},"orig_bytes":${z.origBytes},"resp_bytes":${z.respBytes}`;
    s += `,"conn_state":"${z.connState}","missed_bytes":${z.missedBytes}`;
    if (z.history !== '') s += `,"history":${JSON.stringify(z.history)}`;
    s += `,"orig_pkts":${z.origPkts},"orig_ip_bytes":${z.origIpBytes},"resp_pkts":${z.respPkts},"resp_ip_bytes":${z.respIpBytes}`;
    if (o.communityId) s += `,"community_id":${JSON.stringify(communityIdOfRow(z))}`;
    s += `,"tt_close_initiator":${JSON.stringify(tt.closeInitiator)}`;
    if (tt.finalClient !== null) s += `,"tt_final_client":${JSON.stringify(tt.finalClient)}`;
    if (tt.finalServer !== null) s += `,"tt_final_server":${JSON.stringify(tt.finalServer)}`;
    if (tt.resetReason !== null) s += `,"tt_reset_reason":${JSON.stringify(tt.resetReason)}`;
    s += `,"tt_findings":${JSON.stringify(tt.findings)}}\n`;
    out += s;
  }
  return out;
}

export type ZeekFormat = 'zeek' | 'zeek-json';

/** One connection's conn.log lines in either format. */
export function zeekLines(a: Analysis, c: Connection, format: ZeekFormat, o: ZeekOptions): string {
  return format === 'zeek' ? zeekTsvLines(a, c, o) : zeekJsonLines(a, c, o);
}
