// An editable .properties file that keeps everything it does not need to touch: an unchanged
// document prints back byte for byte, and an edit rewrites only the lines of the keys it changes.

import { escapePropertyKey, escapePropertyValue } from './escape.ts';
import {
  parseNodes,
  summarizeNodes,
  type NodesSummary,
  type PropertiesError,
  type PropertiesNode,
  type PropertiesWarning,
} from './parse.ts';

function firstLineEnd(text: string): string | undefined {
  return text.match(/\r\n|\r|\n/)?.[0];
}

function keyOf(node: PropertiesNode): string | undefined {
  return node.kind === 'entry' || node.kind === 'invalid' ? node.key : undefined;
}

export class PropertiesDocument {
  private nodeList: PropertiesNode[];
  /** Derived from nodeList; dropped on every edit and rebuilt when asked for. */
  private summaryCache: NodesSummary | undefined;
  private textCache: string | undefined;
  /** Line end for added lines: the file's own (its first), else '\n'. */
  readonly eol: string;

  constructor(text = '', options: { eol?: string } = {}) {
    this.nodeList = parseNodes(text);
    this.textCache = text;
    this.eol = options.eol ?? firstLineEnd(text) ?? '\n';
  }

  /** Logical lines in file order; `line` on a node is where it was when parsed. */
  get nodes(): readonly PropertiesNode[] {
    return this.nodeList;
  }

  /** Lines Java's Properties.load would throw on. They are kept verbatim but hold no entry. */
  get errors(): readonly PropertiesError[] {
    return this.summary().errors;
  }

  get warnings(): readonly PropertiesWarning[] {
    return this.summary().warnings;
  }

  get(key: string): string | undefined {
    return this.summary().entries.get(key);
  }

  has(key: string): boolean {
    return this.summary().entries.has(key);
  }

  /** Keys in order of first appearance. */
  keys(): string[] {
    return [...this.summary().entries.keys()];
  }

  /** Effective key/value pairs in order of first appearance (last definition's value). */
  entries(): Array<[string, string]> {
    return [...this.summary().entries.entries()];
  }

  toMap(): Map<string, string> {
    return new Map(this.summary().entries);
  }

  /** 1-based line of the definition that wins, if any. */
  lineOf(key: string): number | undefined {
    const index = this.lastIndexOf(key, (node) => node.kind === 'entry');
    return index < 0 ? undefined : this.summary().lines[index];
  }

  /**
   * Sets a value. An existing key keeps its indentation, key spelling and separator and only its
   * value is rewritten (in its last, winning definition; a line with a broken value is replaced);
   * a new key is appended at the end as `key=value`. Returns whether the text changed.
   */
  set(key: string, value: string): boolean {
    const index = this.lastIndexOf(key, () => true);
    const target = this.nodeList[index];
    if (target === undefined) {
      this.append(escapePropertyKey(key) + '=' + escapePropertyValue(value) + this.eol);
      return true;
    }
    if (target.kind === 'entry' && target.value === value) return false;
    const prefix = (target.kind === 'entry' || target.kind === 'invalid') && target.valuePrefix !== undefined
      ? target.valuePrefix
      : escapePropertyKey(key) + '=';
    this.splice(index, 1, prefix + escapePropertyValue(value) + target.eol);
    return true;
  }

  /** Removes every definition of the key (an earlier one would otherwise take effect). */
  remove(key: string): boolean {
    const kept = this.nodeList.filter((node) => keyOf(node) !== key);
    if (kept.length === this.nodeList.length) return false;
    this.nodeList = kept;
    this.edited();
    return true;
  }

  toString(): string {
    this.textCache ??= this.nodeList.map((node) => node.raw).join('');
    return this.textCache;
  }

  private summary(): NodesSummary {
    this.summaryCache ??= summarizeNodes(this.nodeList);
    return this.summaryCache;
  }

  private lastIndexOf(key: string, accept: (node: PropertiesNode) => boolean): number {
    for (let i = this.nodeList.length - 1; i >= 0; i--) {
      const node = this.nodeList[i]!;
      if (keyOf(node) === key && accept(node)) return i;
    }
    return -1;
  }

  /**
   * Replaces nodes with the parse of `text`. A node parses the same alone as in its file: a
   * logical line starts at a physical line and everything but the last ends in a line end.
   */
  private splice(index: number, deleteCount: number, text: string): void {
    this.nodeList.splice(index, deleteCount, ...parseNodes(text));
    this.edited();
  }

  /**
   * Appends lines after making sure the current last line ends in a line end and does not end
   * in a continuation backslash (which Java drops at end of input), so it cannot swallow them.
   */
  private append(text: string): void {
    const last = this.nodeList.at(-1);
    if (last === undefined) {
      this.splice(0, 0, text);
      return;
    }
    let lastText = last.raw.slice(0, last.raw.length - last.eol.length);
    if ((last.kind === 'entry' || last.kind === 'invalid') && last.continuesAtEof) {
      lastText = lastText.slice(0, -1);
      // A lone final backslash defines key "" only while it is last; spell that out as "=" instead.
      const reread = parseNodes(lastText);
      if (last.kind === 'entry' && !(reread.length === 1 && reread[0]!.kind === 'entry')) {
        lastText = last.valuePrefix + escapePropertyValue(last.value);
      }
    }
    this.splice(this.nodeList.length - 1, 1, lastText + (last.eol || this.eol) + text);
  }

  private edited(): void {
    this.summaryCache = undefined;
    this.textCache = undefined;
  }
}
