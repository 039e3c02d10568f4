/**
 * The segments the webview has pulled: fixed-size pages, fetched on demand, evicted least recently
 * used. Only the rows in view (plus a margin) are ever requested.
 */
import type { LadderSegment, SegmentsReply } from '../shared/webviewProtocol';

export const PAGE_SIZE = 200;
/** Pages kept (40 × 200 = 8,000 segments): the view shows a few dozen rows at a time. */
const MAX_PAGES = 40;

export type Fetch = (start: number, count: number) => Promise<SegmentsReply>;

export class SegmentCache {
  private readonly pages = new Map<number, LadderSegment[]>();
  private readonly inFlight = new Map<number, Promise<void>>();
  /** Bumped on reset: replies for an older connection are dropped. */
  private generation = 0;
  /** How many windows were requested (tests read it through the debug hook). */
  requests = 0;

  constructor(
    private readonly fetch: Fetch,
    private readonly onLoaded: () => void,
    public total = 0,
  ) {}

  reset(total: number): void {
    this.generation++;
    this.pages.clear();
    this.inFlight.clear();
    this.total = total;
  }

  get(index: number): LadderSegment | undefined {
    const p = this.pages.get(Math.floor(index / PAGE_SIZE));
    return p ? p[index % PAGE_SIZE] : undefined;
  }

  has(index: number): boolean {
    return this.get(index) !== undefined;
  }

  /** Makes sure rows [from, to) are loaded or loading; returns when they are (or failed). */
  ensure(from: number, to: number): Promise<void> {
    const a = Math.max(0, from);
    const b = Math.min(this.total, to);
    const waits: Promise<void>[] = [];
    for (let p = Math.floor(a / PAGE_SIZE); p * PAGE_SIZE < b; p++) {
      const page = this.pages.get(p);
      if (page) {
        // Refresh its place in the LRU order.
        this.pages.delete(p);
        this.pages.set(p, page);
        continue;
      }
      waits.push(this.load(p));
    }
    return Promise.all(waits).then(() => undefined);
  }

  private load(p: number): Promise<void> {
    const existing = this.inFlight.get(p);
    if (existing) return existing;
    const gen = this.generation;
    const start = p * PAGE_SIZE;
    const count = Math.min(PAGE_SIZE, this.total - start);
    this.requests++;
    const done = this.fetch(start, count).then(
      (reply) => {
        if (gen !== this.generation) return;
        this.inFlight.delete(p);
        this.pages.set(p, reply.segments);
        while (this.pages.size > MAX_PAGES) {
          const oldest = this.pages.keys().next().value as number;
          this.pages.delete(oldest);
        }
        this.onLoaded();
      },
      () => {
        if (gen === this.generation) this.inFlight.delete(p);
      },
    );
    this.inFlight.set(p, done);
    return done;
  }

  /** Number of segments held (tests check that a huge connection is not pulled whole). */
  get held(): number {
    let n = 0;
    for (const p of this.pages.values()) n += p.length;
    return n;
  }
}
