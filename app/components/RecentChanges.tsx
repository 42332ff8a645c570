'use client';
import Link from 'next/link';
import { relativeTime, formatTime } from '../lib/format.ts';
import { useAudit } from '../lib/hooks.ts';
import { Empty, ErrorNotice, Loading } from './States.tsx';
import { SourceBadge } from './SourceBadge.tsx';

export function RecentChanges() {
  const { data, error, isLoading } = useAudit({ limit: 10 });
  const events = data?.events.filter((e) => e.file !== null) ?? [];
  return (
    <section className="panel" aria-labelledby="recent-title">
      <div className="panel-head">
        <h2 id="recent-title">Recent changes</h2>
        <Link href="/audit" className="small">
          Audit log
        </Link>
      </div>
      {isLoading ? <Loading what="recent changes" /> : null}
      {error ? <ErrorNotice error={error} /> : null}
      {data && events.length === 0 ? <Empty>Nothing has changed yet.</Empty> : null}
      <ul className="timeline">
        {events.map((event) => (
          <li key={event.id} className={event.source === 'external' ? 'external' : undefined}>
            <div>
              <Link href={`/namespaces/${encodeURIComponent(event.namespace ?? '')}/files/${encodeURIComponent(event.file ?? '')}`}>
                {event.namespace}/{event.file}
              </Link>{' '}
              <span className="muted small">{event.action}</span>
            </div>
            <div className="small muted" title={formatTime(event.at)}>
              {event.source === 'external' ? null : `${event.actor} `}
              <SourceBadge source={event.source} /> · {relativeTime(event.at)}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
