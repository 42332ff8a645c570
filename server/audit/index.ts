// The audit history's storage side: intents confirmed by zxid, external changes and gaps from the
// recorder, authentication events, filtered cursor-paginated queries, exports, masking for viewers.

export { AuditStore, AuditStateError, toView, formatZxid, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './store.ts';
export { exportEvents, csvCell, csvRow, CSV_COLUMNS, type ExportFormat } from './export.ts';
export { maskPropertiesText, maskDiff, MASK } from './mask.ts';
export type * from './types.ts';
