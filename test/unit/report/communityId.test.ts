/**
 * Community ID v1: the spec's own test vectors (github.com/corelight/community-id-spec,
 * baseline/baseline_deflt.json and baseline_seed1.json: the flows with ports or without, i.e. TCP,
 * UDP, SCTP and RSVP; ICMP's type/code mapping is not ours to compute), and the values tshark
 * computes for every kernel capture (test/fixtures/kernel/tshark-communityid.json, written by
 * tshark-communityid.sh beside it) compared with `analyze --json`'s communityId.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyze } from '../../../src/core/engine';
import { parseIPv4, parseIPv6 } from '../../../src/core/model/address';
import { communityIdOf } from '../../../src/core/report/communityId';
import { analysisJson } from '../../../src/core/report/json';
import { loadTrace } from '../../../src/node/loadTrace';

const KERNEL = path.resolve(__dirname, '../../../../test/fixtures/kernel');

function addr(text: string): Uint8Array {
  const b = new Uint8Array(text.includes(':') ? 16 : 4);
  assert.ok(text.includes(':') ? parseIPv6(text, b) : parseIPv4(text, b), text);
  return b;
}

interface Vector {
  proto: number;
  saddr: string;
  daddr: string;
  sport: number | null;
  dport: number | null;
  communityid: string;
}

// From the spec's baseline files (seed 0, then seed 1): the TCP, UDP, SCTP and RSVP flows.
const DEFAULT: Vector[] = [
  {
    proto: 6,
    saddr: '2001:470:e5bf:dead:4957:2174:e82c:4887',
    daddr: '2607:f8b0:400c:c03::1a',
    sport: 63943,
    dport: 25,
    communityid: '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=',
  },
  {
    proto: 6,
    saddr: '2607:f8b0:400c:c03::1a',
    daddr: '2001:470:e5bf:dead:4957:2174:e82c:4887',
    sport: 25,
    dport: 63943,
    communityid: '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=',
  },
  {
    proto: 132,
    saddr: '192.168.170.8',
    daddr: '192.168.170.56',
    sport: 7,
    dport: 7,
    communityid: '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=',
  },
  {
    proto: 132,
    saddr: '192.168.170.56',
    daddr: '192.168.170.8',
    sport: 7,
    dport: 7,
    communityid: '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=',
  },
  {
    proto: 6,
    saddr: '128.232.110.120',
    daddr: '66.35.250.204',
    sport: 34855,
    dport: 80,
    communityid: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
  },
  {
    proto: 6,
    saddr: '66.35.250.204',
    daddr: '128.232.110.120',
    sport: 80,
    dport: 34855,
    communityid: '1:LQU9qZlK+B5F3KDmev6m5PMibrg=',
  },
  {
    proto: 17,
    saddr: '192.168.1.52',
    daddr: '8.8.8.8',
    sport: 54585,
    dport: 53,
    communityid: '1:d/FP5EW3wiY1vCndhwleRRKHowQ=',
  },
  {
    proto: 17,
    saddr: '8.8.8.8',
    daddr: '192.168.1.52',
    sport: 53,
    dport: 54585,
    communityid: '1:d/FP5EW3wiY1vCndhwleRRKHowQ=',
  },
  {
    proto: 46,
    saddr: '10.1.12.1',
    daddr: '10.1.12.2',
    sport: null,
    dport: null,
    communityid: '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=',
  },
  {
    proto: 46,
    saddr: '10.1.12.2',
    daddr: '10.1.12.1',
    sport: null,
    dport: null,
    communityid: '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=',
  },
];
const SEED1: Vector[] = [
  {
    proto: 6,
    saddr: '2001:470:e5bf:dead:4957:2174:e82c:4887',
    daddr: '2607:f8b0:400c:c03::1a',
    sport: 63943,
    dport: 25,
    communityid: '1:eJYTW6AOzFLlSUoESovMjnu7rMw=',
  },
  {
    proto: 132,
    saddr: '192.168.170.56',
    daddr: '192.168.170.8',
    sport: 7,
    dport: 7,
    communityid: '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=',
  },
  {
    proto: 6,
    saddr: '66.35.250.204',
    daddr: '128.232.110.120',
    sport: 80,
    dport: 34855,
    communityid: '1:3V71V58M3Ksw/yuFALMcW0LAHvc=',
  },
  {
    proto: 17,
    saddr: '192.168.1.52',
    daddr: '8.8.8.8',
    sport: 54585,
    dport: 53,
    communityid: '1:Q9We8WO3piVF8yEQBNJF4uiSVrI=',
  },
  {
    proto: 46,
    saddr: '10.1.12.2',
    daddr: '10.1.12.1',
    sport: null,
    dport: null,
    communityid: '1:rYir8gphR31noO9iDRQmF/BteEI=',
  },
];

describe('Community ID', () => {
  it("matches the spec's baseline with the default seed", () => {
    for (const v of DEFAULT)
      assert.strictEqual(
        communityIdOf(addr(v.saddr), v.sport, addr(v.daddr), v.dport, v.proto),
        v.communityid,
        JSON.stringify(v),
      );
  });

  it("matches the spec's baseline with seed 1", () => {
    for (const v of SEED1)
      assert.strictEqual(
        communityIdOf(addr(v.saddr), v.sport, addr(v.daddr), v.dport, v.proto, 1),
        v.communityid,
        JSON.stringify(v),
      );
  });

  it('equals what tshark computes for every kernel capture (analyze --json communityId)', () => {
    const ref = JSON.parse(fs.readFileSync(path.join(KERNEL, 'tshark-communityid.json'), 'utf8')) as {
      captures: Record<string, Record<string, string>>;
    };
    const names = Object.keys(ref.captures);
    assert.ok(names.length >= 20, `${names.length} captures`);
    let compared = 0;
    for (const name of names) {
      const loaded = loadTrace(path.join(KERNEL, name));
      assert.strictEqual(loaded.error, null, name);
      const doc = analysisJson(analyze(loaded.table), { format: 'pcap', packets: 0, tcpSegments: 0 });
      for (const c of doc.connections) {
        const [a, b] = [`${c.client.ip} ${c.client.port}`, `${c.server.ip} ${c.server.port}`].sort();
        const expected = ref.captures[name][`${a}|${b}`];
        assert.ok(expected !== undefined, `${name}: tshark has no flow ${a}|${b}`);
        assert.strictEqual(c.communityId, expected, `${name} #${c.id}`);
        compared++;
      }
    }
    assert.ok(compared >= names.length);
  });
});
