/**
 * A tiny schema language for jute records: a record is an ordered list of typed fields,
 * and one generic encoder/decoder serves them all, so each record is declared once.
 */
import { JuteReader, JuteWriter } from './buffer.ts';

export interface Codec<T> {
  write(w: JuteWriter, v: T): void;
  read(r: JuteReader): T;
}

export type CodecType<C> = C extends Codec<infer T> ? T : never;

export const int: Codec<number> = { write: (w, v) => void w.int(v), read: (r) => r.int() };
export const long: Codec<bigint> = { write: (w, v) => void w.long(v), read: (r) => r.long() };
export const bool: Codec<boolean> = { write: (w, v) => void w.bool(v), read: (r) => r.bool() };
/** A UTF-8 string; jute's null (-1) reads as ''. */
export const ustring: Codec<string> = { write: (w, v) => void w.string(v), read: (r) => r.string() ?? '' };
/** A string where null is meaningful and kept. */
export const nullableString: Codec<string | null> = { write: (w, v) => void w.string(v), read: (r) => r.string() };
export const buffer: Codec<Buffer | null> = { write: (w, v) => void w.buffer(v), read: (r) => r.buffer() };

/** A vector; jute's null (-1) reads as an empty array. */
export function vector<T>(item: Codec<T>): Codec<T[]> {
  return {
    write: (w, v) => void w.vector(v, item.write),
    read: (r) => r.vector(item.read) ?? [],
  };
}

type Schema = Record<string, Codec<any>>;
export type RecordOf<S extends Schema> = { [K in keyof S]: CodecType<S[K]> };

export interface RecordCodec<T> extends Codec<T> {
  readonly fields: readonly string[];
  encode(v: T): Buffer;
  decode(buf: Buffer): T;
}

export function record<S extends Schema>(schema: S): RecordCodec<RecordOf<S>> {
  const entries = Object.entries(schema);
  const fields = entries.map(([k]) => k);
  const write = (w: JuteWriter, v: RecordOf<S>): void => {
    for (const [k, c] of entries) c.write(w, (v as Record<string, unknown>)[k]);
  };
  const read = (r: JuteReader): RecordOf<S> => {
    const out: Record<string, unknown> = {};
    for (const [k, c] of entries) out[k] = c.read(r);
    return out as RecordOf<S>;
  };
  return {
    fields,
    write,
    read,
    encode(v) {
      const w = new JuteWriter();
      write(w, v);
      return w.toBuffer();
    },
    decode(buf) {
      return read(new JuteReader(buf));
    },
  };
}

/** A record with no fields (e.g. the empty body of ping or closeSession). */
export const empty = record({});
