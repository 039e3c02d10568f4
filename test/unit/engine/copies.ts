/**
 * A capture made of copies of one real capture, for the streaming tests: `copies` plays of it,
 * `spacing` seconds apart, each on its own client port (the server's port kept), with frame
 * numbers running on, so connections start and finish all along the capture. With `ports`, the
 * client ports go round that many (copy c on the port of copy c % ports): each 4-tuple is used
 * again, `ports * spacing` seconds later, by a new incarnation.
 */
import { SegmentTable, SegmentView } from '../../../src/core/model/segment';

export function copiesOf(one: SegmentTable, copies: number, spacing: number, ports = Infinity): SegmentTable {
  const table = new SegmentTable(one.length * copies);
  const v = new SegmentView();
  for (let c = 0; c < copies; c++) {
    for (let r = 0; r < one.length; r++) {
      one.fillView(r, v);
      v.tsSec += spacing * c;
      v.frame += one.length * c;
      const shift = c % ports;
      if (v.sport !== 8080 && v.sport !== 80) v.sport = (v.sport + shift) & 0xffff;
      else v.dport = (v.dport + shift) & 0xffff;
      table.append(v);
    }
  }
  return table;
}
