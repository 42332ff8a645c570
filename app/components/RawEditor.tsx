'use client';
import { useMemo, useRef } from 'react';
import { problemsOf, type LineProblem } from '../lib/editor-model.ts';

interface Props {
  text: string;
  readOnly: boolean;
  onChange: (text: string) => void;
}

/** A plain textarea with a line-number gutter; problems are flagged at their line and listed below. */
export function RawEditor({ text, readOnly, onChange }: Props) {
  const gutter = useRef<HTMLDivElement>(null);
  const problems = useMemo(() => problemsOf(text), [text]);
  const byLine = useMemo(() => {
    const map = new Map<number, LineProblem>();
    // An error outranks a warning on the same line.
    for (const p of problems) if (!map.has(p.line) || p.severity === 'error') map.set(p.line, p);
    return map;
  }, [problems]);
  const lineCount = text.split(/\r\n|\r|\n/).length;
  const hasErrors = problems.some((p) => p.severity === 'error');

  return (
    <div>
      <div className="raw-editor">
        <div className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => {
            const problem = byLine.get(i + 1);
            return (
              <div key={i} className={problem ? `has-${problem.severity}` : undefined} title={problem?.message} data-line={i + 1}>
                {i + 1}
              </div>
            );
          })}
        </div>
        <textarea
          className="mono"
          aria-label="Raw properties text"
          aria-invalid={hasErrors}
          aria-describedby="raw-problems"
          spellCheck={false}
          readOnly={readOnly}
          value={text}
          rows={Math.max(16, lineCount + 2)}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
        />
      </div>
      <ul className="problems" id="raw-problems" aria-live="polite">
        {problems.map((p, i) => (
          <li key={i} className={p.severity} data-testid="problem" data-line={p.line}>
            Line {p.line}: {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
