/**
 * Messages between a capture's summary tab (the custom editor's webview) and the extension host.
 * Types only: the webview script (summaryScript.ts) is serialized into the page and imports nothing.
 */
import type { ConnectionSummary, InputInfo } from '../../shared/lspProtocol';

export type Outcome = ConnectionSummary['outcome'];

/** The summary of a capture, as the host sends it: the counts from `teardown/connections`' `summary`, the rows from its first page. */
export interface SummaryData {
  file: string;
  input: InputInfo;
  /** Truncation of the whole-capture text view, when it was rendered. */
  view: { truncated: boolean; shownSegments: number; totalSegments: number; error: string | null } | null;
  outcomes: { outcome: Outcome; label: string; count: number }[];
  findingsByCode: { code: string; severity: string; count: number }[];
  /** The first connections (at most {@link SUMMARY_MAX_ROWS}), and how many there are in all. */
  connections: {
    id: number;
    client: string;
    server: string;
    outcome: Outcome;
    closedBy: string;
    segments: number;
    findings: { code: string; severity: string; message: string; index: number; line: number }[];
  }[];
  totalConnections: number;
}

export const SUMMARY_MAX_ROWS = 200;

export type ToSummary =
  | { type: 'data'; data: SummaryData }
  | { type: 'loading'; message: string }
  | { type: 'error'; message: string };

export type SummaryAction =
  | 'openText'
  | 'showDiagram'
  | 'showOverview'
  | 'exportAnalysis'
  | 'exportStateTable'
  | 'convertToTcptrace'
  | 'convertToTcpdump'
  | 'openSideBar';

export type FromSummary =
  | { type: 'ready' }
  | { type: 'action'; action: SummaryAction }
  | { type: 'openConnection'; connection: number }
  | { type: 'connectionDiagram'; connection: number }
  | { type: 'revealFinding'; connection: number; index: number; line: number };
