/**
 * A decoded segment as one line of text: the `decode --format jsonl` contract, and tcpdump-like
 * text. Built by concatenation (no JSON.stringify of a temporary object per segment).
 */
import { ACK, FIN, RST, SYN, flagLetters, type SegmentView } from '../model/segment';

/**
 * `{"frame":1,"time":"1595469924.234640000","src":"192.168.200.135","sport":7875,
 * "dst":"192.168.200.21","dport":2000,"seq":532420306,"ack":0,"flags":2,"len":0,"win":64240}`
 * and a newline. `time` is "" when the record has no time (a pcapng Simple Packet Block).
 */
export function jsonLine(v: SegmentView): string {
  return `{"frame":${v.frame},"time":"${v.timeString()}","src":"${v.srcString()}","sport":${v.sport},"dst":"${v.dstString()}","dport":${v.dport},"seq":${v.seq},"ack":${v.ack},"flags":${v.flags},"len":${v.len},"win":${v.win}}\n`;
}

/**
 * `1 1595469924.234640000 192.168.200.135.7875 > 192.168.200.21.2000: Flags [S], seq 532420306,
 * win 64240, length 0` and a newline: frame, time, then tcpdump's `-S` line (absolute numbers).
 */
export function textLine(v: SegmentView): string {
  let s = `${v.frame} ${v.timeString() || '-'} ${v.srcString()}.${v.sport} > ${v.dstString()}.${v.dport}: Flags [${flagLetters(v.flags)}]`;
  if (v.len > 0) s += `, seq ${v.seq}:${(v.seq + v.len) >>> 0}`;
  else if (v.flags & (SYN | FIN | RST)) s += `, seq ${v.seq}`;
  if (v.flags & ACK) s += `, ack ${v.ack}`;
  return `${s}, win ${v.win}, length ${v.len}\n`;
}
