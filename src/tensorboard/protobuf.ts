// The few protobuf wire-format encodings TensorBoard's Event messages need (varint, 64/32-bit and
// length-delimited fields). Hand-written because no dependency could be added at the time; a library
// such as @bufbuild/protobuf could replace it without changing events.ts's callers.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextEncoder();

function varint(value: bigint): number[] {
  // Negative int64 values are their 64-bit two's complement, as protobuf encodes them (10 bytes).
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const key = (field: number, wire: number) => varint(BigInt((field << 3) | wire));

/** One encoded field; a message is the concatenation of its fields. */
export type Field = Uint8Array;

export function int64Field(field: number, value: number | bigint): Field {
  return Uint8Array.from([...key(field, WIRE_VARINT), ...varint(BigInt(value))]);
}

export function doubleField(field: number, value: number): Field {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return Uint8Array.from([...key(field, WIRE_FIXED64), ...bytes]);
}

export function floatField(field: number, value: number): Field {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true);
  return Uint8Array.from([...key(field, WIRE_FIXED32), ...bytes]);
}

export function bytesField(field: number, value: Uint8Array): Field {
  const head = [...key(field, WIRE_BYTES), ...varint(BigInt(value.length))];
  const out = new Uint8Array(head.length + value.length);
  out.set(head);
  out.set(value, head.length);
  return out;
}

export function stringField(field: number, value: string): Field {
  return bytesField(field, utf8.encode(value));
}

/** A nested message is a length-delimited field holding its encoded fields. */
export function messageField(field: number, ...fields: Field[]): Field {
  return bytesField(field, message(...fields));
}

export function message(...fields: Field[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, f) => n + f.length, 0));
  let offset = 0;
  for (const f of fields) {
    out.set(f, offset);
    offset += f.length;
  }
  return out;
}
