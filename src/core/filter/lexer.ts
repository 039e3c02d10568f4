/** Tokens of the display-filter language, with their offsets in the filter text. */

export type TokenKind =
  | 'word' // a field name, a number or an address
  | 'cmp' // == != < <= > >= and their English forms
  | 'and'
  | 'or'
  | 'not'
  | 'bitand' // &
  | 'in'
  | 'lparen'
  | 'rparen'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'bad' // something the language does not have (reported by the parser where it matters)
  | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
  /** For 'cmp': the C-like operator. */
  op?: '==' | '!=' | '<' | '<=' | '>' | '>=';
}

const ENGLISH: Record<string, '==' | '!=' | '<' | '<=' | '>' | '>='> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };
const WORD_CHAR = /[A-Za-z0-9_.:/\-[\]%]/;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  const push = (kind: TokenKind, start: number, end: number, op?: Token['op']): void => {
    out.push({ kind, text: text.slice(start, end), start, end, op });
  };
  while (i < n) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&') push('and', i, (i += 2));
    else if (two === '||') push('or', i, (i += 2));
    else if (two === '==' || two === '!=' || two === '<=' || two === '>=') push('cmp', i, (i += 2), two);
    else if (ch === '<' || ch === '>') push('cmp', i, (i += 1), ch);
    else if (ch === '!') push('not', i, (i += 1));
    else if (ch === '&') push('bitand', i, (i += 1));
    else if (ch === '(') push('lparen', i, (i += 1));
    else if (ch === ')') push('rparen', i, (i += 1));
    else if (ch === '{') push('lbrace', i, (i += 1));
    else if (ch === '}') push('rbrace', i, (i += 1));
    else if (ch === ',') push('comma', i, (i += 1));
    else if (WORD_CHAR.test(ch)) {
      let j = i;
      while (j < n && WORD_CHAR.test(text[j])) j++;
      const w = text.slice(i, j).toLowerCase();
      if (w === 'and') push('and', i, j);
      else if (w === 'or') push('or', i, j);
      else if (w === 'not') push('not', i, j);
      else if (w === 'in') push('in', i, j);
      else if (w in ENGLISH) push('cmp', i, j, ENGLISH[w]);
      else push('word', i, j);
      i = j;
    } else {
      // '=', '~', '"', '|', '^' ... : one token, so the parser can say what it expected there.
      let j = i + 1;
      if ((ch === '=' || ch === '~') && text[j] === '=') j++;
      push('bad', i, j);
      i = j;
    }
  }
  out.push({ kind: 'end', text: '', start: n, end: n });
  return out;
}
