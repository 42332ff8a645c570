'use client';
import { useEnsemble } from '../lib/hooks.ts';
import { ErrorNotice, Loading } from './States.tsx';

const ms = (value: number | null) => (value === null ? '—' : value < 10 ? value.toFixed(1) : String(Math.round(value)));

export function EnsembleCards() {
  const { data: nodes, error, isLoading } = useEnsemble();
  const up = nodes?.filter((n) => n.up).length ?? 0;
  return (
    <section className="panel" aria-labelledby="ensemble-title">
      <div className="panel-head">
        <h2 id="ensemble-title">Ensemble</h2>
        {nodes ? (
          <span className="muted small" aria-live="polite">
            {up} of {nodes.length} nodes up · refreshed every 3 s
          </span>
        ) : null}
      </div>
      {isLoading && !nodes ? <Loading what="the ensemble" /> : null}
      {error && !nodes ? <ErrorNotice error={error} /> : null}
      {nodes && nodes.length === 0 ? <p className="muted">No nodes are configured.</p> : null}
      {nodes && nodes.length > 0 ? (
        <div className="cards" data-testid="ensemble-cards">
          {nodes.map((node) => {
            const leader = node.up && (node.mode === 'leader' || node.mode === 'standalone');
            return (
              <article key={node.address} className={`card${leader ? ' leader' : ''}${node.up ? '' : ' down'}`} aria-label={`Node ${node.address}`}>
                <div className="actions" style={{ justifyContent: 'space-between' }}>
                  <strong className="mono">{node.address}</strong>
                  {node.up ? (
                    <span className={`badge ${leader ? 'leader' : 'up'}`}>{node.mode ?? 'up'}</span>
                  ) : (
                    <span className="badge down">down</span>
                  )}
                </div>
                {node.up ? (
                  <dl>
                    <dt>zxid</dt>
                    <dd>{node.zxid ?? '—'}</dd>
                    <dt>connections</dt>
                    <dd>{node.connections ?? '—'}</dd>
                    <dt>outstanding</dt>
                    <dd>{node.outstanding ?? '—'}</dd>
                    <dt>latency avg/max</dt>
                    <dd>
                      {ms(node.latencyAvg)} / {ms(node.latencyMax)} ms
                    </dd>
                  </dl>
                ) : (
                  <p className="small" style={{ margin: '8px 0 0' }}>
                    {node.error ?? 'Not answering.'}
                  </p>
                )}
              </article>
            );
          })}
        </div>
      ) : null}
    </section>
  );
}
