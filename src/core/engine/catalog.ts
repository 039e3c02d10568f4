/**
 * The finding catalog: one entry per stable code, with its default severity, a title and the
 * explanation (citing the RFC) shown in hovers, the Problems view and `analyze --json`.
 */

import type { FindingCode, Severity } from './types';

export interface CatalogEntry {
  severity: Severity;
  title: string;
  explanation: string;
}

export const CATALOG: Record<FindingCode, CatalogEntry> = {
  'missing-ack': {
    severity: 'warning',
    title: 'Missing ACK',
    explanation:
      'Every FIN and every byte of data must be acknowledged; the sender retransmits until it is (RFC 9293 3.8.1, 3.10.7.4). ' +
      'A FIN never acknowledged leaves its sender in FIN-WAIT-1, CLOSING or LAST-ACK; a lost final ACK makes the LAST-ACK side retransmit its FIN (RFC 9293 3.6).',
  },
  'fin-retransmitted': {
    severity: 'warning',
    title: 'FIN retransmitted',
    explanation:
      'A FIN occupies one sequence number and is retransmitted like data until it is acknowledged (RFC 9293 3.4, 3.6). ' +
      'A retransmitted FIN means the first one, or its ACK, was lost or late.',
  },
  'lingering-half-close': {
    severity: 'warning',
    title: 'Lingering half-close',
    explanation:
      'After receiving a FIN a TCP stays in CLOSE-WAIT until its application calls close() (RFC 9293 3.6, case 2). ' +
      'A side that never closes holds the socket and its peer sits in FIN-WAIT-2: typically a CLOSE-WAIT leak in the application.',
  },
  'abrupt-reset': {
    severity: 'warning',
    title: 'Abrupt reset',
    explanation:
      'A RST aborts the connection at once, discarding queued data in both directions (RFC 9293 3.5.2, 3.10.7). ' +
      'It is sent on an abort (SO_LINGER 0), on close() with unread received data (RFC 1122 4.2.2.13), or in answer to a segment for a connection the sender no longer has.',
  },
  refused: {
    severity: 'warning',
    title: 'Connection refused',
    explanation:
      'A SYN to a port with no listener is answered by RST,ACK acknowledging the SYN; the client goes from SYN-SENT to CLOSED (RFC 9293 3.5.2, 3.10.7.3).',
  },
  'half-close-data': {
    severity: 'info',
    title: 'Data after the peer closed',
    explanation:
      'A side that has received a FIN is in CLOSE-WAIT and may go on sending data until it closes too; the peer in FIN-WAIT-2 keeps receiving (RFC 9293 3.6). This is legal.',
  },
  'data-after-fin': {
    severity: 'error',
    title: 'Data after own FIN',
    explanation:
      'After a TCP sends its FIN it may send no new data: the FIN is the last sequence number of its direction (RFC 9293 3.6, 3.10.4 "CLOSE").',
  },
  'simultaneous-close': {
    severity: 'info',
    title: 'Simultaneous close',
    explanation:
      'Both sides sent a FIN before receiving the other\'s (each FIN\'s ACK does not cover the other FIN): both pass through CLOSING to TIME-WAIT (RFC 9293 3.6, figure 13).',
  },
  'port-reuse': {
    severity: 'info',
    title: '4-tuple reused',
    explanation:
      'A new connection opened on the same addresses and ports as an earlier one. A SYN arriving for a connection in TIME-WAIT may reopen it when its sequence number is higher (RFC 9293 3.6.1, RFC 6191).',
  },
  'half-open': {
    severity: 'warning',
    title: 'Handshake never completed',
    explanation:
      'A connection is established only when the three-way handshake completes (RFC 9293 3.5). A SYN left unanswered, or a SYN-ACK never acknowledged, leaves a half-open connection (as in a SYN flood, RFC 4987).',
  },
  'rst-out-of-window': {
    severity: 'warning',
    title: 'RST outside the window',
    explanation:
      'A RST is believed only if its sequence number is acceptable to the receiver; in-window but not exact gets a challenge ACK (RFC 9293 3.10.7.4, RFC 5961 3.2). A RST outside the window is ignored by a correct stack and may have been injected.',
  },
  'rst-injected': {
    severity: 'warning',
    title: "RST its sender's TCP did not send",
    explanation:
      "A TCP that sends a RST deletes its connection (RFC 9293 3.5.2), so it sends nothing more on it. A RST followed by more segments of the same connection from the same side cannot come from the same TCP: something else sent the RST with that side's address (a middlebox or an attacker; RFC 5961 1.1 describes such blind reset attacks), or crafted what followed. The replay goes on with the connection, as its later segments show it.",
  },
  'fin-seq-moved': {
    severity: 'error',
    title: 'FIN sequence number moved',
    explanation:
      'A FIN occupies a fixed sequence number; a retransmission must carry the same one (RFC 9293 3.4, 3.6).',
  },
  'ack-unseen-data': {
    severity: 'warning',
    title: 'ACK of unseen data',
    explanation:
      'An ACK acknowledges sequence numbers the capture never showed being sent: segments are missing from the capture (RFC 9293 3.4).',
  },
  'state-claim-mismatch': {
    severity: 'error',
    title: 'State claim does not match',
    explanation:
      'The state written in the trace differs from what the segments imply under RFC 9293 3.10 (event processing).',
  },
  'idle-before-close': {
    severity: 'info',
    title: 'Idle before close',
    explanation:
      'The connection carried nothing for a long time before it was closed; idle timeouts in applications, load balancers or NAT often cause such closes (RFC 9293 3.8.4, RFC 1122 4.2.3.6).',
  },
  'capture-incomplete': {
    severity: 'hint',
    title: 'Capture started mid-connection',
    explanation:
      'No handshake was captured, so the initial states and roles are inferred (RFC 9293 3.5); what came before the first segment is unknown.',
  },
};
