// Splits text into the logical lines of java.util.Properties.LineReader, keeping the exact source
// text of each so that concatenating them gives the input back byte for byte.

export interface PhysicalLine {
  text: string;
  /** '\r\n', '\r', '\n', or '' for a last line without a line end. */
  eol: string;
}

export function splitPhysicalLines(text: string): PhysicalLine[] {
  const lines: PhysicalLine[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      const eol = c === '\r' && text[i + 1] === '\n' ? '\r\n' : c;
      lines.push({ text: text.slice(start, i), eol });
      i += eol.length;
      start = i;
    } else {
      i++;
    }
  }
  if (start < text.length) lines.push({ text: text.slice(start), eol: '' });
  return lines;
}

export function isPropertiesWhitespace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\f';
}

function leadingWhitespace(text: string): number {
  let n = 0;
  while (isPropertiesWhitespace(text[n])) n++;
  return n;
}

function endsWithOddBackslashes(text: string): boolean {
  let n = 0;
  for (let i = text.length - 1; i >= 0 && text[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

interface LogicalLineBase {
  /** Exact source text, line ends included. */
  raw: string;
  /** 1-based number of the first physical line. */
  line: number;
  /** Number of physical lines covered. */
  lineCount: number;
  /** Line end of the last physical line ('' at end of input without one). */
  eol: string;
}

export interface TriviaLine extends LogicalLineBase {
  kind: 'blank' | 'comment';
}

export interface ContentLine extends LogicalLineBase {
  kind: 'content';
  /** The joined logical line: continuation backslashes and continuation indentation removed. */
  content: string;
  /** Where the pieces of `content` sit in `raw`, one per physical line. */
  segments: ContentSegment[];
  /**
   * The last physical line ended in a continuation backslash but the input ended, so Java dropped
   * the backslash. Text appended after this line would be joined to it.
   */
  continuesAtEof: boolean;
}

export interface ContentSegment {
  contentStart: number;
  rawStart: number;
  length: number;
}

export type LogicalLine = TriviaLine | ContentLine;

/** Offset in `raw` of content[contentOffset]. */
export function rawOffsetOf(line: ContentLine, contentOffset: number): number {
  for (let i = line.segments.length - 1; i >= 0; i--) {
    const segment = line.segments[i]!;
    if (segment.length > 0 && segment.contentStart <= contentOffset) return segment.rawStart + contentOffset - segment.contentStart;
  }
  return 0;
}

/**
 * Groups physical lines like LineReader.readLine (Java 9+): leading whitespace skipped, blank lines,
 * and a line ending in an odd number of backslashes continued on the next one, whose leading
 * whitespace is skipped. A `#`/`!` comment is recognised while the logical line is still empty,
 * which includes a continuation of a line that held only a backslash. Comments never continue.
 */
export function readLogicalLines(text: string): LogicalLine[] {
  const physical = splitPhysicalLines(text);
  const result: LogicalLine[] = [];
  let i = 0;
  while (i < physical.length) {
    const lineNumber = i + 1;
    let raw = '';
    let content = '';
    const segments: ContentSegment[] = [];
    let continuesAtEof = false;
    let isComment = false;
    let current = physical[i]!;
    for (;;) {
      const skip = leadingWhitespace(current.text);
      const segment = current.text.slice(skip);
      if (content === '' && (segment[0] === '#' || segment[0] === '!')) {
        isComment = true;
        raw += current.text + current.eol;
        break;
      }
      const continues = endsWithOddBackslashes(segment);
      const kept = continues ? segment.length - 1 : segment.length;
      segments.push({ contentStart: content.length, rawStart: raw.length + skip, length: kept });
      content += segment.slice(0, kept);
      raw += current.text + current.eol;
      const next = physical[i + 1];
      if (!continues) break;
      if (current.eol === '' || next === undefined) {
        continuesAtEof = true;
        break;
      }
      i++;
      current = next;
    }
    const lineCount = i + 2 - lineNumber;
    i++;
    const base = { raw, line: lineNumber, lineCount, eol: current.eol };
    if (isComment) {
      result.push({ kind: 'comment', ...base });
    } else if (content === '' && !(continuesAtEof && current.eol !== '\r\n')) {
      // LineReader discards an empty logical line, except when the input ends right after the
      // backslash, with no line end or a one-character one (after a CRLF it skips the LF and then
      // finds nothing): it then returns an empty line, which Properties.load stores as key "".
      result.push({ kind: 'blank', ...base });
    } else {
      result.push({ kind: 'content', ...base, content, segments, continuesAtEof });
    }
  }
  return result;
}
