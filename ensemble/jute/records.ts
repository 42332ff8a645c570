/** The client-protocol records of ZooKeeper 3.8 (zookeeper.jute), declared once with the schema codec. */
import { JuteReader, JuteWriter } from './buffer.ts';
import { bool, buffer, int, long, record, ustring, vector, type Codec, type RecordCodec, type CodecType } from './codec.ts';

export const IdCodec = record({ scheme: ustring, id: ustring });
export type Id = CodecType<typeof IdCodec>;

export const ACLCodec = record({ perms: int, id: IdCodec });
export type ACL = CodecType<typeof ACLCodec>;

export const StatCodec = record({
  czxid: long,
  mzxid: long,
  ctime: long,
  mtime: long,
  version: int,
  cversion: int,
  aversion: int,
  ephemeralOwner: long,
  dataLength: int,
  numChildren: int,
  pzxid: long,
});
export type Stat = CodecType<typeof StatCodec>;

/** ConnectRequest/Response end with an optional `readOnly` byte: clients before 3.3 omit it. */
function withOptionalReadOnly<T extends object>(base: RecordCodec<T>): RecordCodec<T & { readOnly?: boolean }> {
  const write = (w: JuteWriter, v: T & { readOnly?: boolean }): void => {
    base.write(w, v);
    if (v.readOnly !== undefined) w.bool(v.readOnly);
  };
  const read = (r: JuteReader): T & { readOnly?: boolean } => {
    const v = base.read(r) as T & { readOnly?: boolean };
    if (r.remaining > 0) v.readOnly = r.bool();
    return v;
  };
  return {
    fields: [...base.fields, 'readOnly'],
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

export const ConnectRequestCodec = withOptionalReadOnly(
  record({ protocolVersion: int, lastZxidSeen: long, timeOut: int, sessionId: long, passwd: buffer }),
);
export type ConnectRequest = CodecType<typeof ConnectRequestCodec>;

export const ConnectResponseCodec = withOptionalReadOnly(
  record({ protocolVersion: int, timeOut: int, sessionId: long, passwd: buffer }),
);
export type ConnectResponse = CodecType<typeof ConnectResponseCodec>;

export const RequestHeaderCodec = record({ xid: int, type: int });
export type RequestHeader = CodecType<typeof RequestHeaderCodec>;

export const ReplyHeaderCodec = record({ xid: int, zxid: long, err: int });
export type ReplyHeader = CodecType<typeof ReplyHeaderCodec>;

export const MultiHeaderCodec = record({ type: int, done: bool, err: int });
export type MultiHeader = CodecType<typeof MultiHeaderCodec>;

export const AuthPacketCodec = record({ type: int, scheme: ustring, auth: buffer });
export type AuthPacket = CodecType<typeof AuthPacketCodec>;

export const WatcherEventCodec = record({ type: int, state: int, path: ustring });
export type WatcherEvent = CodecType<typeof WatcherEventCodec>;

const strings = vector(ustring);

export const SetWatchesCodec = record({
  relativeZxid: long,
  dataWatches: strings,
  existWatches: strings,
  childWatches: strings,
});
export type SetWatches = CodecType<typeof SetWatchesCodec>;

export const SetWatches2Codec = record({
  relativeZxid: long,
  dataWatches: strings,
  existWatches: strings,
  childWatches: strings,
  persistentWatches: strings,
  persistentRecursiveWatches: strings,
});
export type SetWatches2 = CodecType<typeof SetWatches2Codec>;

// ---- requests ----
export const PathWatchRequestCodec = record({ path: ustring, watch: bool }); // getData, exists, getChildren(2)
export type PathWatchRequest = CodecType<typeof PathWatchRequestCodec>;
export const GetDataRequestCodec = PathWatchRequestCodec;
export const ExistsRequestCodec = PathWatchRequestCodec;
export const GetChildrenRequestCodec = PathWatchRequestCodec;
export const GetChildren2RequestCodec = PathWatchRequestCodec;

export const PathRequestCodec = record({ path: ustring }); // getACL, sync, getAllChildrenNumber
export type PathRequest = CodecType<typeof PathRequestCodec>;
export const GetACLRequestCodec = PathRequestCodec;
export const SyncRequestCodec = PathRequestCodec;
export const GetAllChildrenNumberRequestCodec = PathRequestCodec;

export const GetEphemeralsRequestCodec = record({ prefixPath: ustring });
export type GetEphemeralsRequest = CodecType<typeof GetEphemeralsRequestCodec>;

export const SetDataRequestCodec = record({ path: ustring, data: buffer, version: int });
export type SetDataRequest = CodecType<typeof SetDataRequestCodec>;

const acls = vector(ACLCodec);

export const CreateRequestCodec = record({ path: ustring, data: buffer, acl: acls, flags: int });
export type CreateRequest = CodecType<typeof CreateRequestCodec>;

export const CreateTTLRequestCodec = record({ path: ustring, data: buffer, acl: acls, flags: int, ttl: long });
export type CreateTTLRequest = CodecType<typeof CreateTTLRequestCodec>;

export const DeleteRequestCodec = record({ path: ustring, version: int });
export type DeleteRequest = CodecType<typeof DeleteRequestCodec>;

export const CheckVersionRequestCodec = record({ path: ustring, version: int });
export type CheckVersionRequest = CodecType<typeof CheckVersionRequestCodec>;

export const SetACLRequestCodec = record({ path: ustring, acl: acls, version: int });
export type SetACLRequest = CodecType<typeof SetACLRequestCodec>;

export const AddWatchRequestCodec = record({ path: ustring, mode: int });
export type AddWatchRequest = CodecType<typeof AddWatchRequestCodec>;

export const CheckWatchesRequestCodec = record({ path: ustring, type: int });
export type CheckWatchesRequest = CodecType<typeof CheckWatchesRequestCodec>;
export const RemoveWatchesRequestCodec = CheckWatchesRequestCodec;

export const ReconfigRequestCodec = record({ joiningServers: ustring, leavingServers: ustring, newMembers: ustring, curConfigId: long });
export type ReconfigRequest = CodecType<typeof ReconfigRequestCodec>;

// ---- responses ----
export const StatResponseCodec = record({ stat: StatCodec }); // exists, setData, setACL
export type StatResponse = CodecType<typeof StatResponseCodec>;
export const ExistsResponseCodec = StatResponseCodec;
export const SetDataResponseCodec = StatResponseCodec;
export const SetACLResponseCodec = StatResponseCodec;

export const GetDataResponseCodec = record({ data: buffer, stat: StatCodec });
export type GetDataResponse = CodecType<typeof GetDataResponseCodec>;

export const CreateResponseCodec = record({ path: ustring });
export type CreateResponse = CodecType<typeof CreateResponseCodec>;
export const SyncResponseCodec = CreateResponseCodec;

export const Create2ResponseCodec = record({ path: ustring, stat: StatCodec });
export type Create2Response = CodecType<typeof Create2ResponseCodec>;

export const GetChildrenResponseCodec = record({ children: strings });
export type GetChildrenResponse = CodecType<typeof GetChildrenResponseCodec>;

export const GetChildren2ResponseCodec = record({ children: strings, stat: StatCodec });
export type GetChildren2Response = CodecType<typeof GetChildren2ResponseCodec>;

export const GetACLResponseCodec = record({ acl: acls, stat: StatCodec });
export type GetACLResponse = CodecType<typeof GetACLResponseCodec>;

export const GetAllChildrenNumberResponseCodec = record({ totalNumber: int });
export type GetAllChildrenNumberResponse = CodecType<typeof GetAllChildrenNumberResponseCodec>;

export const GetEphemeralsResponseCodec = record({ ephemerals: strings });
export type GetEphemeralsResponse = CodecType<typeof GetEphemeralsResponseCodec>;

export const ClientInfoCodec = record({ authScheme: ustring, user: ustring });
export type ClientInfo = CodecType<typeof ClientInfoCodec>;
export const WhoAmIResponseCodec = record({ clientInfo: vector(ClientInfoCodec) });
export type WhoAmIResponse = CodecType<typeof WhoAmIResponseCodec>;

export const ErrorResponseCodec = record({ err: int });
export type ErrorResponse = CodecType<typeof ErrorResponseCodec>;

export type { Codec, RecordCodec };
