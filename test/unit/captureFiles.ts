/** The capture files under a directory, recursively, sorted: what the fixture-wide tests run over. */
import * as fs from 'fs';
import * as path from 'path';

/** `.pcap`, `.pcapng` and `.cap` files under `dir`; with `gzipped`, their `.gz` forms too. */
export function captureFiles(dir: string, gzipped = false): string[] {
  const name = gzipped ? /\.(pcap|pcapng|cap)(\.gz)?$/ : /\.(pcap|pcapng|cap)$/;
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (name.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}
