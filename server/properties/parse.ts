// Turns logical lines into entries with Properties.load's key/value rules, recording where each
// value starts in the source so an edit can rewrite the value and keep the key as written.

import { MalformedEscapeError, unescapeProperties } from './escape.ts';
import { isPropertiesWhitespace, rawOffsetOf, readLogicalLines, type ContentLine, type TriviaLine } from './lines.ts';

export interface PropertiesError {
  kind: 'malformed-unicode-escape';
  /** 1-based physical line of the offending escape. */
  line: number;
  message: string;
  /** The entry's key, when the key itself decoded. */
  key?: string;
}

export interface PropertiesWarning {
  kind: 'duplicate-key';
  /** 1-based line of the later definition, the one that wins. */
  line: number;
  /** 1-based line of the definition it overrides. */
  previousLine: number;
  key: string;
  message: string;
}

interface ContentNodeBase {
  raw: string;
  /** 1-based line where the node started when parsed (edits to earlier lines do not update it). */
  line: number;
  lineCount: number;
  eol: string;
  continuesAtEof: boolean;
}

export interface EntryNode extends ContentNodeBase {
  kind: 'entry';
  key: string;
  value: string;
  /** Source text before the value: indentation, key and separator exactly as written. */
  valuePrefix: string;
}

/** A line Java's Properties.load would reject; kept verbatim so the file still round-trips. */
export interface InvalidNode extends ContentNodeBase {
  kind: 'invalid';
  /** error.line minus line: where in the node the bad escape is. */
  errorLineOffset: number;
  error: PropertiesError;
  key?: string;
  valuePrefix?: string;
}

export type PropertiesNode = TriviaLine | EntryNode | InvalidNode;

/** The key/value split of Properties.load0: first unescaped `=`, `:` or whitespace ends the key. */
function splitKeyValue(content: string): { keyEnd: number; valueStart: number } {
  let keyEnd = 0;
  let valueStart = content.length;
  let hasSeparator = false;
  let precedingBackslash = false;
  while (keyEnd < content.length) {
    const c = content[keyEnd]!;
    if ((c === '=' || c === ':') && !precedingBackslash) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (isPropertiesWhitespace(c) && !precedingBackslash) {
      valueStart = keyEnd + 1;
      break;
    }
    precedingBackslash = c === '\\' ? !precedingBackslash : false;
    keyEnd++;
  }
  // Whitespace around the separator, and one `=`/`:` after whitespace, belong to neither side.
  while (valueStart < content.length) {
    const c = content[valueStart];
    if (!isPropertiesWhitespace(c)) {
      if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
      else break;
    }
    valueStart++;
  }
  return { keyEnd, valueStart };
}

function countLineBreaks(text: string): number {
  return text.match(/\r\n|\r|\n/g)?.length ?? 0;
}

function valuePrefixOf(line: ContentLine, keyEnd: number, valueStart: number): string {
  const { raw, content } = line;
  if (valueStart < content.length) return raw.slice(0, rawOffsetOf(line, valueStart));
  // Empty value: keep everything up to the last character Java read; a bare key needs a separator.
  const end = content.length === 0 ? 0 : rawOffsetOf(line, content.length - 1) + 1;
  return raw.slice(0, end) + (keyEnd === content.length ? '=' : '');
}

function decodeContentLine(line: ContentLine): EntryNode | InvalidNode {
  const { keyEnd, valueStart } = splitKeyValue(line.content);
  const base = { raw: line.raw, line: line.line, lineCount: line.lineCount, eol: line.eol, continuesAtEof: line.continuesAtEof };
  const valuePrefix = valuePrefixOf(line, keyEnd, valueStart);
  const errorAt = (contentOffset: number, key?: string): InvalidNode => {
    const errorLineOffset = countLineBreaks(line.raw.slice(0, rawOffsetOf(line, contentOffset)));
    const error: PropertiesError = {
      kind: 'malformed-unicode-escape',
      line: line.line + errorLineOffset,
      message: 'Malformed \\uxxxx encoding.',
    };
    if (key === undefined) return { kind: 'invalid', ...base, errorLineOffset, error };
    error.key = key;
    return { kind: 'invalid', ...base, errorLineOffset, error, key, valuePrefix };
  };

  let key: string;
  try {
    key = unescapeProperties(line.content.slice(0, keyEnd));
  } catch (e) {
    if (e instanceof MalformedEscapeError) return errorAt(e.offset);
    throw e;
  }
  try {
    const value = unescapeProperties(line.content.slice(valueStart));
    return { kind: 'entry', ...base, key, value, valuePrefix };
  } catch (e) {
    if (e instanceof MalformedEscapeError) return errorAt(valueStart + e.offset, key);
    throw e;
  }
}

export function parseNodes(text: string): PropertiesNode[] {
  return readLogicalLines(text).map((line) => (line.kind === 'content' ? decodeContentLine(line) : line));
}

export interface NodesSummary {
  /** Effective values, last definition wins; iteration order is first appearance. */
  entries: Map<string, string>;
  warnings: PropertiesWarning[];
  errors: PropertiesError[];
  /** Current 1-based first line of each node, counted afresh so that edits are accounted for. */
  lines: number[];
}

export function summarizeNodes(nodes: readonly PropertiesNode[]): NodesSummary {
  const entries = new Map<string, string>();
  const definedAt = new Map<string, number>();
  const warnings: PropertiesWarning[] = [];
  const errors: PropertiesError[] = [];
  const lines: number[] = [];
  let line = 1;
  for (const node of nodes) {
    const nodeLine = line;
    lines.push(nodeLine);
    line += node.lineCount;
    if (node.kind === 'invalid') {
      errors.push({ ...node.error, line: nodeLine + node.errorLineOffset });
      continue;
    }
    if (node.kind !== 'entry') continue;
    const previousLine = definedAt.get(node.key);
    if (previousLine !== undefined) {
      warnings.push({
        kind: 'duplicate-key',
        line: nodeLine,
        previousLine,
        key: node.key,
        message: `Duplicate key "${node.key}": line ${nodeLine} overrides line ${previousLine}`,
      });
    }
    definedAt.set(node.key, nodeLine);
    entries.set(node.key, node.value);
  }
  return { entries, warnings, errors, lines };
}
