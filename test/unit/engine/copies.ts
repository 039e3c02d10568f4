/**
 * A capture made of copies of one real capture, for the streaming tests: `copies` plays of it,
 * `spacing` seconds apart, each on its own client port (the server's port kept), with frame
 * numbers running on, so connections start and finish all along the capture.
 */
import { SegmentTable, SegmentView } from '../../../src/core/model/segment';

export function copiesOf(one: SegmentTable, copies: number, spacing: number): SegmentTable {
  const table = new SegmentTable(one.length * copies);
  const v = new SegmentView();
  for (let c = 0; c < copies; c++) {
    for (let r = 0; r < one.length; r++) {
      one.fillView(r, v);
      v.tsSec += spacing * c;
      v.frame += one.length * c;
      if (v.sport !== 8080 && v.sport !== 80) v.sport = (v.sport + c) & 0xffff;
      else v.dport = (v.dport + c) & 0xffff;
      table.append(v);
    }
  }
  return table;
}
