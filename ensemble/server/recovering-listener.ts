/**
 * The client port while the node is still loading its snapshot and log. ZooKeeper binds its client port before it
 * loads the database: four-letter words are answered (`ruok` says imok, the others "not currently serving"), and a
 * client's connect request is refused by closing the connection ("ZooKeeperServer not running"), so the client
 * moves on to another server or retries. No request is ever read here, so nothing is served from a partial tree.
 * Once recovery is done the caller closes this listener and the node's real listener binds the same port.
 */
import type net from 'node:net';
import { ALL_FOUR_LETTER_WORDS, type ZooConfig } from '../config.ts';
import { NOT_SERVING, notWhitelisted } from './four-letter.ts';
import { listen, type Listener } from './listener.ts';

/** A connection that has not sent its first four bytes by then is dropped. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

export interface RecoveringListener {
  readonly port: number;
  /** Connections refused so far (a client tried to open a session during recovery). */
  readonly refused: number;
  close(): Promise<void>;
}

/** The answer to a four-letter word while not serving, or null for anything else (a client's connect request). */
export function answerWhileRecovering(word: string, whitelist: ReadonlySet<string>): string | null {
  if (!(ALL_FOUR_LETTER_WORDS as readonly string[]).includes(word)) return null;
  if (!whitelist.has(word)) return notWhitelisted(word);
  return word === 'ruok' ? 'imok' : NOT_SERVING;
}

export async function listenWhileRecovering(config: ZooConfig, log: (msg: string) => void = () => {}): Promise<RecoveringListener> {
  let refused = 0;
  const onConnection = (socket: net.Socket): void => {
    socket.on('error', () => {});
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, () => socket.destroy());
    let head = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) return;
      socket.removeAllListeners('data');
      const answer = answerWhileRecovering(head.subarray(0, 4).toString('latin1'), config.fourLetterWords);
      if (answer !== null) {
        socket.end(answer);
        return;
      }
      refused++;
      if (refused === 1 || refused % 1000 === 0) log(`refusing client connection from ${socket.remoteAddress}: ZooKeeperServer not running (recovering)`);
      socket.destroy();
    });
  };
  const listener: Listener = await listen({
    host: config.clientPortAddress,
    port: config.clientPort,
    maxClientCnxns: config.maxClientCnxns,
    maxCnxns: config.maxCnxns,
    onConnection,
  });
  return {
    port: listener.port,
    get refused() {
      return refused;
    },
    close: () => listener.close(),
  };
}
