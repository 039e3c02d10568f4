/**
 * How each connection ended and what went wrong: outcome, close initiator and findings, from the
 * wire pass and the replay's final states. Runs once per connection with no allocation unless a
 * finding is raised; a finding's sentence is written by one of the writers below when first read.
 */
import * as segment from '../model/segment';
import type { SegmentTable } from '../model/segment';
import * as seq from '../seq';
import { CATALOG } from './catalog';
import { FindingRecord, fmtDuration, INITIATORS, OUTCOMES, ref, type ConnectionData, type ConnectionRecord, type FindingWriter } from './records';
import * as sim from './sim';
import type { SimStore } from './sim';
import type { Tracks } from './tracker';
import type { RstVerdict } from './rst';
import { STATES, type CloseInitiator, type EngineOptions, type Finding, type FindingCode, type Outcome } from './types';
import * as wireModule from './wire';
import { SenderColumns, type WirePass } from './wire';

// Constants and helpers as this module's own bindings, read once per connection (see wire.ts).
const { ACK, SYN } = segment;
const { seqAdd, seqGe } = seq;
const { CLOSED, CLOSE_WAIT, S_DECLARED, S_SYNCHRONIZED } = sim;
const { C_FIN, F_HAS_FIN, F_SEEN, F_SENT_SYN, F_SENT_SYNACK, R_FIRST_FIN, R_UNSEEN_ACK } = wireModule;

const SIDE = ['client', 'server'] as const;
const RW = SenderColumns.ROWS;

/** A finding of `code` on `owner` anchored at `row`, unless its severity is set to 'off'. */
export function makeFinding(
  opts: EngineOptions,
  code: FindingCode,
  owner: ConnectionRecord,
  row: number,
  write: FindingWriter,
  p0 = 0,
  p1 = 0,
  p2 = 0,
): FindingRecord | null {
  const sev = opts.severities[code] ?? CATALOG[code].severity;
  if (sev === 'off') return null;
  return new FindingRecord(code, sev, owner, row, write, p0, p1, p2);
}

export class Summarizer {
  private readonly w: SenderColumns;
  private readonly table: SegmentTable;
  private readonly wire: WirePass;
  private readonly tracks: Tracks;
  private readonly S: SimStore;
  constructor(
    private readonly data: ConnectionData,
    private readonly opts: EngineOptions,
    private readonly all: Finding[],
    /** Where the capture's evidence about each connection ends (see connectionEnds in engine.ts). */
    private readonly ends: Float64Array,
  ) {
    this.table = data.table;
    this.wire = data.wire;
    this.tracks = data.tracks;
    this.S = data.sim;
    this.w = data.wire.columns;
  }

  private add(conn: ConnectionRecord, code: FindingCode, row: number, write: FindingWriter, p0 = 0, p1 = 0, p2 = 0): void {
    const f = makeFinding(this.opts, code, conn, row, write, p0, p1, p2);
    if (f) {
      conn.addFinding(f);
      this.all.push(f);
    }
  }

  summarize(conn: ConnectionRecord): void {
    const { table, opts, wire, tracks, S, w } = this;
    const ci = conn.ci;
    const endTime = this.ends[ci];
    const k = 2 * ci;
    const cb = w.bits[k];
    const sb = w.bits[k + 1];
    const extras = S.extrasOf(ci);
    const reset = extras?.reset ?? null;

    // How it ended.
    const fin0 = w.rows[k * RW + R_FIRST_FIN];
    const fin1 = w.rows[(k + 1) * RW + R_FIRST_FIN];
    const refused = reset !== null && wire.rstCheck.get(reset.row) === 'syn-ack-ok';
    const simultaneous = fin0 >= 0 && fin1 >= 0 && crossed(table, fin0, fin1, w, k);
    let initiator: CloseInitiator = 'none';
    if (simultaneous && !refused) initiator = 'simultaneous';
    else if (!refused) {
      // The side whose FIN or RST came first.
      let first = -1;
      if (fin0 >= 0) {
        first = fin0;
        initiator = 'client';
      }
      if (fin1 >= 0 && (first < 0 || fin1 < first)) {
        first = fin1;
        initiator = 'server';
      }
      if (reset && (first < 0 || reset.row < first)) initiator = SIDE[reset.side];
    }
    this.data.initiator[ci] = INITIATORS.indexOf(initiator);
    const handshakeDone = !(cb & F_SENT_SYN) || (S.bits[ci] & S_SYNCHRONIZED) !== 0;
    let outcome: Outcome;
    if (refused) outcome = 'refused';
    else if (reset) outcome = 'reset';
    else if (simultaneous) outcome = 'simultaneous';
    else if (cb & F_HAS_FIN && sb & F_HAS_FIN) outcome = 'graceful';
    else if (cb & F_HAS_FIN || sb & F_HAS_FIN) outcome = 'half-closed';
    else if (!handshakeDone) outcome = 'half-open';
    else outcome = 'open';
    this.data.outcome[ci] = OUTCOMES.indexOf(outcome);

    // Findings.
    if (refused && reset) this.add(conn, 'refused', reset.row, writeRefused);
    else if (reset) this.add(conn, 'abrupt-reset', reset.row, writeAbruptReset);
    if (extras !== undefined) {
      for (const ig of extras.ignoredRsts) this.add(conn, 'rst-out-of-window', ig.row, writeIgnoredRst);
      for (const inj of extras.injectedRsts) this.add(conn, 'rst-injected', inj.row, writeInjectedRst, inj.next);
    }
    if (simultaneous) this.add(conn, 'simultaneous-close', Math.max(fin0, fin1), writeSimultaneous);
    for (let side = 0; side < 2; side++) {
      const ks = k + side;
      const finCount = w.counts[ks * 4 + C_FIN];
      const firstFinRow = w.rows[ks * RW + R_FIRST_FIN];
      if (finCount > 1) {
        const finRows = wire.side(ci, side).finRows;
        this.add(conn, 'fin-retransmitted', finRows[1], writeFinRetransmitted, side);
        const moved = finRows.find((r) => seqAdd(table.seq[r], table.len[r]) !== w.finSeq[ks]);
        if (moved !== undefined) this.add(conn, 'fin-seq-moved', moved, writeFinMoved, side);
      }
      // A FIN never acknowledged, unless the connection was reset afterwards. It is a finding only
      // when the peer had its chance: it sent something later without acknowledging the FIN, the FIN
      // was retransmitted, or the capture went on for a retransmission timeout (1 s, RFC 6298 2.4).
      // A RST from the FIN's own sender (an orphan that gave up, then answered the peer's data with
      // no socket) leaves the FIN as unacknowledged as before: the peer's segments up to the RST count.
      if (w.bits[ks] & F_HAS_FIN && !S.finAcked[ks] && (!reset || (reset.side === side && reset.row > firstFinRow))) {
        const finEnd = seqAdd(w.finSeq[ks], 1);
        let peerAcks = false;
        let peerSpoke = false;
        for (const r of tracks.rows(ci)) {
          if (reset && r >= reset.row) break;
          if (wire.rowDir[r] === side || r < firstFinRow) continue;
          if (table.flags[r] & ACK && seqGe(table.ack[r], finEnd)) peerAcks = true;
          else peerSpoke = true;
        }
        const waited = endTime - table.time(firstFinRow) >= 1;
        // With no segment at all from the peer, the capture shows one direction only: nothing to conclude.
        if (!peerAcks && w.bits[ks ^ 1] & F_SEEN && (peerSpoke || waited || finCount > 1))
          this.add(conn, 'missing-ack', firstFinRow, writeFinUnacked, side);
      }
      if (extras !== undefined && extras.dataAfterFinRows[side].length > 0)
        this.add(conn, 'data-after-fin', extras.dataAfterFinRows[side][0], writeDataAfterFin, side);
      if (extras !== undefined && extras.halfCloseDataRows[side].length > 0)
        this.add(conn, 'half-close-data', extras.halfCloseDataRows[side][0], writeHalfCloseData, side);
      const unseenAck = w.rows[ks * RW + R_UNSEEN_ACK];
      if (unseenAck >= 0) this.add(conn, 'ack-unseen-data', unseenAck, writeAckUnseen, side);
    }
    if (extras !== undefined)
      for (const lost of extras.lostAckRows) this.add(conn, 'missing-ack', lost.row, writeLostAck, lost.side, lost.retransmission);
    // A half-close: one FIN only. Lingering when the other side never closed by the end of the capture,
    // or closed only after the linger threshold.
    for (let side = 0; side < 2 && !reset && !refused; side++) {
      const ks = k + side;
      const ko = ks ^ 1;
      if (!(w.bits[ks] & F_HAS_FIN)) continue;
      const finRow = w.rows[ks * RW + R_FIRST_FIN];
      const otherFin = w.rows[ko * RW + R_FIRST_FIN];
      if (!(w.bits[ko] & F_HAS_FIN)) {
        // Only when the other side was seen at all: a one-direction capture cannot show its FIN.
        if (w.bits[ko] & F_SEEN && (S.peerFinReceived[ko] || S.state[ko] === CLOSE_WAIT))
          this.add(conn, 'lingering-half-close', finRow, writeLingering, side, endTime - table.time(finRow), -1);
      } else if (otherFin > finRow && !simultaneous) {
        const dur = table.time(otherFin) - table.time(finRow);
        if (dur >= opts.lingerSeconds) this.add(conn, 'lingering-half-close', finRow, writeLingering, side, dur, otherFin);
      }
    }
    // Handshake never completed.
    // p0: when the client gave up (the replay closed it in SYN-SENT with no answer), how long the
    // capture went on after its last SYN.
    if (!refused && cb & F_SENT_SYN && !handshakeDone && !reset)
      this.add(conn, 'half-open', tracks.firstRow[ci], writeHalfOpen, S.state[k] === CLOSED && !(sb & F_SEEN) ? endTime - table.time(tracks.lastRow[ci]) : -1);
    // Port reuse: an earlier connection on the same 4-tuple in this capture, recently enough that
    // its TIME-WAIT (2 MSL) could still hold the tuple; older reuse is ordinary and not reported.
    const prev = tracks.previous[ci];
    if (prev >= 0) {
      const start = table.time(tracks.firstRow[ci]);
      const gap = start - table.time(tracks.lastRow[prev]);
      const twoMsl = 2 * opts.mslSeconds;
      if (!(gap >= twoMsl)) {
        let tw = 0;
        for (let s = 0; s < 2; s++) if (S.timeWaitRow[2 * prev + s] >= 0 && start - S.timeWaitSince[2 * prev + s] < twoMsl) tw |= 1 << s;
        this.add(conn, 'port-reuse', tracks.firstRow[ci], writePortReuse, prev, gap, tw);
      }
    }
    // Idle before the close.
    let closeRow = fin0;
    if (fin1 >= 0 && (closeRow < 0 || fin1 < closeRow)) closeRow = fin1;
    if (reset && (closeRow < 0 || reset.row < closeRow)) closeRow = reset.row;
    if (closeRow >= 0) {
      const idx = tracks.indexOfRow(ci, closeRow);
      if (idx > 0) {
        const before = tracks.rowList[tracks.rowStart[ci] + idx - 1];
        const idle = table.time(closeRow) - table.time(before);
        if (idle >= opts.idleSeconds) this.add(conn, 'idle-before-close', closeRow, writeIdle, before, idle);
      }
    }
    const cSeen = (cb & F_SEEN) !== 0;
    const sSeen = (sb & F_SEEN) !== 0;
    if (!cSeen || !sSeen) {
      if (!refused && !(cb & F_SENT_SYN && !sSeen)) this.add(conn, 'capture-incomplete', tracks.firstRow[ci], writeOneDirection, cSeen ? 0 : 1);
    } else if (!(cb & F_SENT_SYN) && !(sb & F_SENT_SYNACK) && !refused && !(S.bits[ci] & S_DECLARED)) {
      this.add(conn, 'capture-incomplete', tracks.firstRow[ci], writeNoHandshake);
    }
  }
}

/**
 * Two FINs crossed when the second one's ACK does not cover the first FIN: its sender had not
 * received the first FIN when it sent its own (DESIGN.md, the engine's central idea).
 */
function crossed(table: SegmentTable, c: number, s: number, w: SenderColumns, k: number): boolean {
  if (c < s) return !(table.flags[s] & ACK) || !seqGe(table.ack[s], seqAdd(w.finSeq[k], 1));
  return !(table.flags[c] & ACK) || !seqGe(table.ack[c], seqAdd(w.finSeq[k + 1], 1));
}

// ------------------------------------------------------------------------------ finding sentences

function firstFinOf(f: FindingRecord, side: number): number {
  return f.owner.data.wire.columns.rows[(2 * f.owner.ci + side) * RW + R_FIRST_FIN];
}

function resetOf(f: FindingRecord): { side: number; row: number; why: RstVerdict } {
  return f.owner.data.sim.extrasOf(f.owner.ci)!.reset!;
}

const writeRefused: FindingWriter = (f) => {
  const { table, tracks } = f.owner.data;
  const reset = resetOf(f);
  const synRow = tracks.rows(f.owner.ci).find((r) => (table.flags[r] & SYN) !== 0) ?? f.owner.firstRow;
  const server = f.owner.server;
  return [
    `Connection refused: the server ${server.addr}:${server.port} answered the SYN (${ref(table, synRow)}) with RST,ACK (${ref(table, reset.row)}); nothing listens on the port.`,
    [{ row: synRow, message: 'the refused SYN' }],
  ];
};

const writeAbruptReset: FindingWriter = (f) => {
  const table = f.owner.data.table;
  const reset = resetOf(f);
  return [
    `The ${SIDE[reset.side]} reset the connection in ${ref(table, reset.row)}: ${reset.why.text}.`,
    [firstFinOf(f, 0), firstFinOf(f, 1)].filter((r) => r >= 0).map((r) => ({ row: r, message: 'FIN sent before the RST' })),
  ];
};

const writeInjectedRst: FindingWriter = (f) => {
  const { table, wire } = f.owner.data;
  const by = SIDE[wire.rowDir[f.row]];
  return [
    `The ${by}'s RST in ${ref(table, f.row)} did not come from the TCP that kept the connection: the ${by} went on sending on it (${ref(table, f.p0)}), which a TCP that resets cannot do; something else sent the RST with the ${by}'s address (a middlebox or an attacker), or crafted what followed.`,
    [{ row: f.p0, message: `the ${by} still sending after "its" RST` }],
  ];
};

const writeIgnoredRst: FindingWriter = (f) => {
  const { table, wire } = f.owner.data;
  const by = SIDE[wire.rowDir[f.row]];
  const check = wire.rstCheck.get(f.row);
  return [
    check === 'in-window'
      ? `The ${by}'s RST in ${ref(table, f.row)} is inside the window but not at RCV.NXT: a correct stack answers with a challenge ACK and keeps the connection (RFC 5961).`
      : check === 'syn-ack-bad'
        ? `The ${by}'s RST in ${ref(table, f.row)} does not acknowledge the SYN and is ignored in SYN-SENT.`
        : `The ${by}'s RST in ${ref(table, f.row)} has a sequence number outside the receiver's window: it is ignored, and may have been injected.`,
    [],
  ];
};

const writeSimultaneous: FindingWriter = (f) => {
  const table = f.owner.data.table;
  const c = firstFinOf(f, 0);
  const s = firstFinOf(f, 1);
  return [
    `Simultaneous close: the FINs in ${ref(table, c)} (client) and ${ref(table, s)} (server) crossed; neither acknowledges the other, so both sides pass through CLOSING.`,
    [{ row: Math.min(c, s), message: 'the other FIN' }],
  ];
};

const writeFinRetransmitted: FindingWriter = (f) => {
  const { table, wire } = f.owner.data;
  const finRows = wire.side(f.owner.ci, f.p0).finRows;
  return [
    `The ${SIDE[f.p0]}'s FIN was sent ${finRows.length} times (${finRows.map((r) => ref(table, r)).join(', ')}): the first one or its ACK was lost or late.`,
    finRows.filter((_, i) => i !== 1).map((r) => ({ row: r, message: 'transmission of the same FIN' })),
  ];
};

const writeFinMoved: FindingWriter = (f) => {
  const table = f.owner.data.table;
  const first = firstFinOf(f, f.p0);
  return [
    `The ${SIDE[f.p0]}'s FIN in ${ref(table, f.row)} sits at a different sequence number than its first FIN (${ref(table, first)}).`,
    [{ row: first, message: 'the first FIN' }],
  ];
};

const writeFinUnacked: FindingWriter = (f) => {
  const { table, sim } = f.owner.data;
  const left = STATES[sim.state[2 * f.owner.ci + f.p0]];
  const reset = sim.extrasOf(f.owner.ci)?.reset;
  if (reset && reset.side === f.p0)
    return [`The ${SIDE[f.p0]}'s FIN (${ref(table, f.row)}) was never acknowledged; the ${SIDE[f.p0]} reset the connection later (${ref(table, reset.row)}).`, []];
  return [
    `The ${SIDE[f.p0]}'s FIN (${ref(table, f.row)}) was never acknowledged by the end of the capture; the ${SIDE[f.p0]} is left in ${left}.`,
    [],
  ];
};

const writeDataAfterFin: FindingWriter = (f) => {
  const table = f.owner.data.table;
  const fin = firstFinOf(f, f.p0);
  return [
    `The ${SIDE[f.p0]} sent new data in ${ref(table, f.row)} after its own FIN (${ref(table, fin)}).`,
    [{ row: fin, message: 'the FIN' }],
  ];
};

const writeHalfCloseData: FindingWriter = (f) => {
  const { table, sim } = f.owner.data;
  const side = f.p0;
  const hr = sim.extrasOf(f.owner.ci)!.halfCloseDataRows[side];
  const bytes = sim.halfCloseData[2 * f.owner.ci + side];
  const peerFin = firstFinOf(f, 1 - side);
  return [
    `The ${SIDE[side]} sent ${bytes} bytes in ${hr.length} segment${hr.length === 1 ? '' : 's'} (${ref(table, hr[0])}${hr.length > 1 ? ` to ${ref(table, hr[hr.length - 1])}` : ''}) after receiving the ${SIDE[1 - side]}'s FIN (${ref(table, peerFin)}): a half-close, which is legal.`,
    [{ row: peerFin, message: 'the FIN that half-closed the connection' }],
  ];
};

const writeAckUnseen: FindingWriter = (f) => [
  `The ACK in ${ref(f.owner.data.table, f.row)} acknowledges ${SIDE[f.p0]} data the capture never showed: segments are missing from the capture.`,
  [],
];

const writeLostAck: FindingWriter = (f) => {
  const table = f.owner.data.table;
  const by = SIDE[f.p0];
  const other = SIDE[1 - f.p0];
  return [
    `The ${by}'s ACK in ${ref(table, f.row)} evidently never reached the ${other}: the ${other} retransmitted in ${ref(table, f.p1)} (RFC 9293 3.6).`,
    [{ row: f.p1, message: 'the retransmission this ACK should have prevented' }],
  ];
};

/** p0: the side that sent the FIN; p1: how long the other side stayed in CLOSE-WAIT; p2: its late FIN, or -1. */
const writeLingering: FindingWriter = (f) => {
  const { table, sim } = f.owner.data;
  const side = f.p0;
  if (f.p2 < 0) {
    const waits = STATES[sim.state[2 * f.owner.ci + side]];
    return [
      `The ${SIDE[1 - side]} never closed: it stayed in CLOSE-WAIT for ${fmtDuration(f.p1)} after the ${SIDE[side]}'s FIN (${ref(table, f.row)}) until the end of the capture, and the ${SIDE[side]} waits in ${waits}.`,
      [],
    ];
  }
  return [
    `The ${SIDE[1 - side]} stayed in CLOSE-WAIT for ${fmtDuration(f.p1)} after the ${SIDE[side]}'s FIN (${ref(table, f.row)}) before closing (${ref(table, f.p2)}).`,
    [{ row: f.p2, message: 'the late FIN' }],
  ];
};

const writeHalfOpen: FindingWriter = (f) => {
  const { table, tracks, sim } = f.owner.data;
  const ci = f.owner.ci;
  const rows = tracks.rows(ci);
  const synRows = rows.filter((r) => (table.flags[r] & (SYN | ACK)) === SYN);
  const synAck = rows.find((r) => (table.flags[r] & (SYN | ACK)) === (SYN | ACK));
  const last = synRows[synRows.length - 1];
  const gaveUp =
    f.p0 >= 0
      ? ` The client gave up (connect() timed out): the capture goes on for ${fmtDuration(f.p0)} after the last SYN (${ref(table, last)}) without another, past when the next retransmission was due, so the client is CLOSED (inferred; Linux gives up after net.ipv4.tcp_syn_retries).`
      : '';
  return [
    synAck === undefined
      ? `The handshake never completed: the SYN (${ref(table, f.row)}${synRows.length > 1 ? `, sent ${synRows.length} times` : ''}) was never answered.${gaveUp}`
      : `The handshake never completed: the SYN-ACK (${ref(table, synAck)}) was never acknowledged; the client is left in ${STATES[sim.state[2 * ci]]} and the server in ${STATES[sim.state[2 * ci + 1]]}.`,
    synAck !== undefined ? [{ row: synAck, message: 'the unacknowledged SYN-ACK' }] : [],
  ];
};

/** p0: the previous connection (index); p1: the gap in seconds; p2: which of its sides were in TIME-WAIT (bits). */
const writePortReuse: FindingWriter = (f) => {
  const { table, tracks } = f.owner.data;
  const prev = f.p0;
  const prevLast = tracks.lastRow[prev];
  const tw = [0, 1].filter((s) => f.p2 & (1 << s));
  const prevId = tracks.idOf(prev);
  const twNote = tw.length > 0 ? `; the ${tw.map((s) => SIDE[s]).join(' and ')} of #${prevId} was still in TIME-WAIT` : '';
  const { client, server } = f.owner;
  return [
    `The 4-tuple ${client.addr}:${client.port} -> ${server.addr}:${server.port} was used before by connection #${prevId} (last ${ref(table, prevLast)}, ${fmtDuration(f.p1)} earlier)${twNote}.`,
    [{ row: prevLast, message: `last segment of connection #${prevId}` }],
  ];
};

/** p0: the last row before the idle period; p1: its length in seconds. */
const writeIdle: FindingWriter = (f) => [
  `The connection was idle for ${fmtDuration(f.p1)} before ${ref(f.owner.data.table, f.row)} closed it.`,
  [{ row: f.p0, message: 'the last segment before the idle period' }],
];

/** p0: the side the capture shows (0 client, 1 server). */
const writeOneDirection: FindingWriter = (f) => [
  `The capture shows only the ${SIDE[f.p0]}'s segments of this connection (one direction): the peer's states are guesses.`,
  [],
];

const writeNoHandshake: FindingWriter = (f) => [
  `No handshake was captured for this connection: it was already open at ${ref(f.owner.data.table, f.row)}, so its roles and first states are inferred.`,
  [],
];

