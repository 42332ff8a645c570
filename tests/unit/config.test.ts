import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_FOUR_LETTER_WORDS, ConfigError, loadZooCfg, parseProperties, parseZooCfg, readMyId } from '../../ensemble/config.ts';

const base = 'dataDir=/var/zk\nclientPort=2181\n';
const cfg = (extra: string) => parseZooCfg(base + extra, 'test.cfg');

function errorOf(text: string): string {
  try {
    parseZooCfg(text, 'test.cfg');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('parseProperties (java.util.Properties rules)', () => {
  it('handles separators, comments, escapes and continuations', () => {
    const lines = parseProperties('# c\n! c2\n  a = 1\nb:2\nc 3\nd=x\\\n   y\ne=\\u0041\\tz\nf\n');
    expect(lines.map((l) => [l.key, l.value, l.line])).toEqual([
      ['a', '1', 3],
      ['b', '2', 4],
      ['c', '3', 5],
      ['d', 'xy', 6],
      ['e', 'A\tz', 8],
      ['f', '', 9],
    ]);
  });
});

describe('parseZooCfg defaults', () => {
  it('uses ZooKeeper 3.8 defaults', () => {
    const c = parseZooCfg('dataDir=/d\nclientPort=2181\n');
    expect(c.tickTime).toBe(3000);
    expect(c.minSessionTimeout).toBe(6000);
    expect(c.maxSessionTimeout).toBe(60000);
    expect(c.maxClientCnxns).toBe(60);
    expect(c.snapCount).toBe(100000);
    expect(c.snapRetainCount).toBe(3);
    expect(c.purgeInterval).toBe(0);
    expect(c.dataLogDir).toBe('/d');
    expect(c.clientPortAddress).toBeNull();
    expect(c.standaloneEnabled).toBe(true);
    expect(c.adminEnableServer).toBe(true);
    expect(c.adminServerPort).toBe(8080);
    expect(c.adminServerAddress).toBe('127.0.0.1'); // ZooKeeper: 0.0.0.0; ours: loopback on purpose
    expect([...c.fourLetterWords]).toEqual(['srvr']);
    expect(c.peerType).toBe('participant');
    expect(c.extendedTypesEnabled).toBe(false);
    expect(c.forceSync).toBe(true);
    expect(c.juteMaxBuffer).toBe(0xfffff);
    expect(c.superDigest).toBeNull();
    expect(c.containerCheckIntervalMs).toBe(60000);
    expect(c.servers).toEqual([]);
    expect(c.myid).toBeNull();
    expect(c.warnings).toEqual([]);
  });

  it('derives session timeouts from tickTime unless set', () => {
    expect(cfg('tickTime=2000\n')).toMatchObject({ minSessionTimeout: 4000, maxSessionTimeout: 40000 });
    expect(cfg('tickTime=2000\nminSessionTimeout=1000\nmaxSessionTimeout=5000\n')).toMatchObject({ minSessionTimeout: 1000, maxSessionTimeout: 5000 });
  });
});

describe('parseZooCfg keys', () => {
  it('reads every key', () => {
    const c = cfg(
      [
        'tickTime=500',
        'initLimit=5',
        'syncLimit=2',
        'dataLogDir=/var/zklog',
        'clientPortAddress=127.0.0.1',
        'maxClientCnxns=0',
        'snapCount=1000',
        'autopurge.snapRetainCount=7',
        'autopurge.purgeInterval=24',
        'standaloneEnabled=false',
        'admin.enableServer=FALSE',
        'admin.serverPort=9090',
        'admin.serverAddress=127.0.0.2',
        '4lw.commands.whitelist=ruok, stat ,mntr',
        'peerType=observer',
        'extendedTypesEnabled=true',
        'forceSync=no',
        'jute.maxbuffer=0x100000',
        'superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
        'znode.container.checkIntervalMs=100',
        'server.1=127.0.0.1:2888:3888',
        'server.2=127.0.0.1:2889:3889:observer;127.0.0.1:2182',
        'server.3=[::1]:2890:3890:participant;2183',
      ].join('\n'),
    );
    expect(c).toMatchObject({
      tickTime: 500,
      initLimit: 5,
      syncLimit: 2,
      dataDir: '/var/zk',
      dataLogDir: '/var/zklog',
      clientPort: 2181,
      clientPortAddress: '127.0.0.1',
      maxClientCnxns: 0,
      minSessionTimeout: 1000,
      maxSessionTimeout: 10000,
      snapCount: 1000,
      snapRetainCount: 7,
      purgeInterval: 24,
      standaloneEnabled: false,
      adminEnableServer: false,
      adminServerPort: 9090,
      adminServerAddress: '127.0.0.2',
      peerType: 'observer',
      extendedTypesEnabled: true,
      forceSync: false,
      juteMaxBuffer: 0x100000,
      superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      containerCheckIntervalMs: 100,
    });
    expect([...c.fourLetterWords].sort()).toEqual(['mntr', 'ruok', 'srvr', 'stat']);
    expect(c.servers).toEqual([
      { id: 1, host: '127.0.0.1', quorumPort: 2888, electionPort: 3888, type: 'participant', clientAddress: null, clientPort: null },
      { id: 2, host: '127.0.0.1', quorumPort: 2889, electionPort: 3889, type: 'observer', clientAddress: '127.0.0.1', clientPort: 2182 },
      { id: 3, host: '::1', quorumPort: 2890, electionPort: 3890, type: 'participant', clientAddress: null, clientPort: 2183 },
    ]);
  });

  it('expands the * whitelist to every word', () => {
    expect([...cfg('4lw.commands.whitelist=*\n').fourLetterWords].sort()).toEqual([...ALL_FOUR_LETTER_WORDS].sort());
  });

  it('raises a too small snapRetainCount to 3 with a warning', () => {
    const c = cfg('autopurge.snapRetainCount=1\n');
    expect(c.snapRetainCount).toBe(3);
    expect(c.warnings.join()).toMatch(/snapRetainCount/);
  });

  it('warns about unknown keys instead of failing', () => {
    const c = cfg('fooBar=1\n');
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toMatch(/test\.cfg:3: unknown key fooBar/);
  });
});

describe('parseZooCfg rejects bad files', () => {
  it.each([
    ['tickTime=abc', /test\.cfg:3: tickTime: 'abc' is not an integer/],
    ['tickTime=0', /tickTime/],
    ['clientPort=70000', /test\.cfg:3: clientPort/],
    ['maxClientCnxns=-1', /maxClientCnxns/],
    ['standaloneEnabled=yes', /standaloneEnabled: 'yes' is not a boolean/],
    ['secureClientPort=2281', /secureClientPort: not supported/],
    ['peerType=boss', /Unrecognised peertype/],
    ['4lw.commands.whitelist=ruok,nope', /unknown four-letter word 'nope'/],
    ['jute.maxbuffer=-5', /jute\.maxbuffer/],
    ['forceSync=maybe', /forceSync/],
    ['superDigest=nocolon', /superDigest/],
    ['server.0=h:1:2', /server id 0 is out of range/],
    ['server.1=h:1', /does not have the form/],
    ['server.1=h:1:2:boss', /neither participant nor observer/],
    ['server.1=h:x:2', /quorum port 'x'/],
    ['minSessionTimeout=9000\nmaxSessionTimeout=8000', /minSessionTimeout must not be larger than maxSessionTimeout/],
    ['server.1=a:1:2\nserver.2=b:1:2', /initLimit is not set/],
    ['initLimit=5\nserver.1=a:1:2\nserver.2=b:1:2', /syncLimit is not set/],
    ['initLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.1=b:1:2', /server\.1 is defined twice/],
  ])('%s', (extra, message) => {
    expect(errorOf(base + extra + '\n')).toMatch(message);
  });

  it('requires dataDir', () => {
    expect(errorOf('clientPort=2181\n')).toMatch(/dataDir is not set/);
  });

  it('requires clientPort when clientPortAddress is set', () => {
    expect(errorOf('dataDir=/d\nclientPortAddress=127.0.0.1\n')).toMatch(/clientPortAddress is set but clientPort is not set/);
  });
});

describe('loadZooCfg and myid', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-test-'));

  it('reads myid from dataDir when server.N lines exist', () => {
    const dir = tmp();
    try {
      fs.writeFileSync(path.join(dir, 'myid'), '2\n');
      const file = path.join(dir, 'zoo.cfg');
      fs.writeFileSync(file, `dataDir=${dir}\nclientPort=2181\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n`);
      expect(loadZooCfg(file).myid).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a missing, out-of-range or unlisted myid', () => {
    const dir = tmp();
    try {
      expect(() => readMyId(dir)).toThrow(/myid file is missing/);
      fs.writeFileSync(path.join(dir, 'myid'), '256');
      expect(() => readMyId(dir)).toThrow(/not a number in \[1, 255\]/);
      fs.writeFileSync(path.join(dir, 'myid'), '3');
      const file = path.join(dir, 'zoo.cfg');
      fs.writeFileSync(file, `dataDir=${dir}\nclientPort=2181\ninitLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2\n`);
      expect(() => loadZooCfg(file)).toThrow(/myid 3 has no server\.3 line/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not need myid for a standalone file', () => {
    const dir = tmp();
    try {
      const file = path.join(dir, 'zoo.cfg');
      fs.writeFileSync(file, `dataDir=${dir}\nclientPort=2181\n`);
      expect(loadZooCfg(file).myid).toBeNull();
      expect(() => loadZooCfg(path.join(dir, 'missing.cfg'))).toThrow(ConfigError);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
