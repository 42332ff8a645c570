// The full data model (DMMF: nullability, ids, uniques, relations) of a Prisma schema, from the
// prisma-schema wasm module that ships inside the `prisma` package — the same code `prisma generate`
// runs, without its CLI. The generated client keeps only field names and types at runtime, which is not
// enough to check that the SQL migrations build the tables the models describe.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface DmmfField {
  name: string;
  dbName: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  hasDefaultValue: boolean;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}

export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
  uniqueFields: string[][];
}

export interface DmmfIndex {
  model: string;
  type: 'id' | 'normal' | 'unique' | 'fulltext';
  dbName: string | null;
  fields: Array<{ name: string }>;
}

export interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: Array<{ name: string; values: Array<{ name: string }> }>; indexes: DmmfIndex[] };
}

// Node has WebAssembly, but this project's lib settings (ES2022, no DOM) do not declare it.
interface WasmTable {
  grow(delta: number): number;
  get(index: number): unknown;
  set(index: number, value: unknown): void;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface SchemaWasm {
  memory: { buffer: ArrayBuffer };
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_realloc(ptr: number, oldSize: number, newSize: number, align: number): number;
  __wbindgen_free(ptr: number, size: number, align: number): void;
  __wbindgen_externrefs: WasmTable;
  __externref_table_dealloc(index: number): void;
  __wbindgen_start(): void;
  get_dmmf(ptr: number, len: number): [number, number, number, number];
}

let instance: SchemaWasm | undefined;

function loadWasm(): SchemaWasm {
  if (instance !== undefined) return instance;
  const require = createRequire(import.meta.url);
  const wasmPath = join(dirname(require.resolve('prisma/package.json')), 'build', 'prisma_schema_build_bg.wasm');
  const decoder = new TextDecoder();
  const readString = (ptr: number, len: number) => decoder.decode(new Uint8Array(exports.memory.buffer, ptr, len));
  let exports: SchemaWasm;
  const imports = {
    __wbindgen_placeholder__: {
      __wbg_set_message_f22ac4a6869ee695: () => undefined,
      __wbg_Error_e83987f665cf5504: (ptr: number, len: number) => new Error(readString(ptr, len)),
      __wbg___wbindgen_throw_b855445ff6a94295: (ptr: number, len: number) => {
        throw new Error(readString(ptr, len));
      },
      __wbindgen_init_externref_table: () => {
        const table = exports.__wbindgen_externrefs;
        const offset = table.grow(4);
        table.set(0, undefined);
        table.set(offset + 0, undefined);
        table.set(offset + 1, null);
        table.set(offset + 2, true);
        table.set(offset + 3, false);
      },
    },
  };
  const module = new wasmApi.Module(readFileSync(wasmPath));
  exports = new wasmApi.Instance(module, imports).exports as SchemaWasm;
  exports.__wbindgen_start();
  instance = exports;
  return exports;
}

export function getDmmf(schema: string): Dmmf {
  const wasm = loadWasm();
  const input = new TextEncoder().encode(JSON.stringify({ prismaSchema: schema, noColor: true }));
  const ptr = wasm.__wbindgen_malloc(input.length, 1);
  new Uint8Array(wasm.memory.buffer, ptr, input.length).set(input);
  const [outPtr, outLen, errorRef, failed] = wasm.get_dmmf(ptr, input.length);
  if (failed) {
    const error = wasm.__wbindgen_externrefs.get(errorRef) as Error;
    wasm.__externref_table_dealloc(errorRef);
    throw error;
  }
  try {
    return JSON.parse(new TextDecoder().decode(new Uint8Array(wasm.memory.buffer, outPtr, outLen))) as Dmmf;
  } finally {
    wasm.__wbindgen_free(outPtr, outLen, 1);
  }
}
