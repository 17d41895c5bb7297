"""Decodes a TensorBoard events file independently of vdm: TFRecord framing with every CRC checked
(CRC-32C computed bit by bit here), Event messages parsed with protobuf from the trimmed .proto
files in proto/ (compiled with protoc into a temporary folder). Each event must re-encode to its
exact bytes, so no field goes unread. Prints the events as one JSON list.

usage: read_events.py EVENTS_FILE"""
import json
import os
import struct
import subprocess
import sys
import tempfile


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def records(raw):
    pos = 0
    while pos < len(raw):
        header = raw[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", raw[pos + 8 : pos + 12])
        assert length_crc == masked(crc32c(header)), f"length CRC wrong at byte {pos}"
        payload = raw[pos + 12 : pos + 12 + length]
        assert len(payload) == length, f"record at byte {pos} truncated"
        (payload_crc,) = struct.unpack("<I", raw[pos + 12 + length : pos + 16 + length])
        assert payload_crc == masked(crc32c(payload)), f"payload CRC wrong at byte {pos}"
        yield payload
        pos += 16 + length


def compile_protos():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "proto")
    out = tempfile.mkdtemp(prefix="vdm-proto-")
    subprocess.run(["protoc", f"--proto_path={here}", f"--python_out={out}", "summary.proto", "event.proto"], check=True)
    sys.path.insert(0, out)
    import event_pb2

    return event_pb2


def describe(event):
    out = {"wall_time": event.wall_time, "step": event.step}
    kind = event.WhichOneof("what")
    if kind == "file_version":
        out["file_version"] = event.file_version
    elif kind == "session_log":
        out["session_status"] = event.session_log.status
    elif kind == "summary":
        values = []
        for v in event.summary.value:
            if v.WhichOneof("value") == "simple_value":
                values.append({"tag": v.tag, "simple_value": v.simple_value})
            else:
                t = v.tensor
                values.append({
                    "tag": v.tag,
                    "plugin": v.metadata.plugin_data.plugin_name,
                    "dtype": t.dtype,
                    "dims": len(t.tensor_shape.dim),
                    "text": [s.decode("utf-8") for s in t.string_val],
                })
        out["values"] = values
    return out


def main():
    event_pb2 = compile_protos()
    with open(sys.argv[1], "rb") as f:
        raw = f.read()
    events = []
    for payload in records(raw):
        event = event_pb2.Event()
        event.ParseFromString(payload)
        assert event.SerializeToString() == payload, f"event {len(events)} holds bytes the .proto does not describe"
        events.append(describe(event))
    print(json.dumps(events))


if __name__ == "__main__":
    main()
