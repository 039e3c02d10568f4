/** Printable IP addresses: dotted quad for IPv4, RFC 5952 canonical text for IPv6. */

export function formatAddress(ipVersion: 4 | 6, b: Uint8Array): string {
  if (ipVersion === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  return formatIPv6(b);
}

/** RFC 5952: lowercase hex, no leading zeros, the longest run (>= 2) of zero groups as "::". */
export function formatIPv6(b: Uint8Array): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[2 * i] << 8) | b[2 * i + 1];
  // IPv4-mapped (::ffff:a.b.c.d) is printed with a dotted tail, as RFC 5952 section 5 recommends.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      parts.push(i === 0 ? ':' : '');
      i += bestLen - 1;
      if (i === 7) parts.push('');
      continue;
    }
    parts.push(g[i].toString(16));
  }
  return parts.join(':');
}

/** Parses dotted IPv4 text into 4 bytes of `out`; returns false when malformed. */
export function parseIPv4(text: string, out: Uint8Array): boolean {
  const p = text.split('.');
  if (p.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(p[i])) return false;
    const n = Number(p[i]);
    if (n > 255) return false;
    out[i] = n;
  }
  return true;
}

/** Parses IPv6 text (with optional "::" and dotted IPv4 tail) into 16 bytes; false when malformed. */
export function parseIPv6(text: string, out: Uint8Array): boolean {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const words: number[] = [];
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return false;
  const parseSide = (side: string, into: number[]): boolean => {
    if (side === '') return true;
    const parts = side.split(':');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = new Uint8Array(4);
        if (!parseIPv4(part, v4)) return false;
        into.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return false;
      into.push(parseInt(part, 16));
    }
    return true;
  };
  if (dbl >= 0) {
    const head: number[] = [];
    const tail: number[] = [];
    if (!parseSide(s.slice(0, dbl), head) || !parseSide(s.slice(dbl + 2), tail)) return false;
    if (head.length + tail.length > 7) return false;
    words.push(...head);
    for (let i = head.length + tail.length; i < 8; i++) words.push(0);
    words.push(...tail);
  } else {
    if (!parseSide(s, words) || words.length !== 8) return false;
  }
  for (let i = 0; i < 8; i++) {
    out[2 * i] = words[i] >> 8;
    out[2 * i + 1] = words[i] & 0xff;
  }
  return true;
}
