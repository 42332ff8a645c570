import { sourceLabel } from '../lib/format.ts';

/** Changes made outside the admin stand out: they bypassed review and comments. */
export function SourceBadge({ source }: { source: string }) {
  return (
    <span className={`badge${source === 'external' ? ' external' : ''}`} data-source={source}>
      {source === 'external' ? 'external' : sourceLabel(source)}
    </span>
  );
}
