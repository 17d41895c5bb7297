// TensorBoard's Event messages (tensorflow/core/util/event.proto, summary.proto): the file-version
// header, scalar summaries and text summaries (the text plugin reads a string tensor). Field numbers
// are the .proto files'; test/tensorboard/proto/ keeps trimmed copies the tests decode with.
import { doubleField, floatField, int64Field, message, messageField, stringField, bytesField, type Field } from './protobuf.js';

// Event
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
const EVENT_SESSION_LOG = 7;
// SessionLog
const SESSION_STATUS = 1;
const SESSION_START = 1;
// Summary and Summary.Value
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;
const VALUE_TENSOR = 8;
const VALUE_METADATA = 9;
// SummaryMetadata and its PluginData
const METADATA_PLUGIN_DATA = 1;
const PLUGIN_NAME = 1;
// TensorProto
const TENSOR_DTYPE = 1;
const TENSOR_SHAPE = 2;
const TENSOR_STRING_VAL = 8;
const DT_STRING = 7;

/** Written first in every events file; TensorBoard reads files of this version. */
export const FILE_VERSION = 'brain.Event:2';

/** Fields go in number order and step 0 is left out (proto3's default), as protobuf's own encoders write them. */
function event(wallTime: number, step: number, what: Field): Uint8Array {
  return message(doubleField(EVENT_WALL_TIME, wallTime), ...(step === 0 ? [] : [int64Field(EVENT_STEP, step)]), what);
}

export function fileVersionEvent(wallTime: number): Uint8Array {
  return event(wallTime, 0, stringField(EVENT_FILE_VERSION, FILE_VERSION));
}

/** One Event holding several scalars of the same step. */
export function scalarsEvent(wallTime: number, step: number, scalars: Readonly<Record<string, number>>): Uint8Array {
  const values = Object.entries(scalars).map(([tag, value]) => messageField(SUMMARY_VALUE, stringField(VALUE_TAG, tag), floatField(VALUE_SIMPLE_VALUE, value)));
  return event(wallTime, step, messageField(EVENT_SUMMARY, ...values));
}

/** A text summary (rendered as Markdown by TensorBoard's text plugin): a scalar DT_STRING tensor. */
export function textEvent(wallTime: number, step: number, tag: string, text: string): Uint8Array {
  const tensor = messageField(VALUE_TENSOR, int64Field(TENSOR_DTYPE, DT_STRING), messageField(TENSOR_SHAPE), bytesField(TENSOR_STRING_VAL, new TextEncoder().encode(text)));
  const metadata = messageField(VALUE_METADATA, messageField(METADATA_PLUGIN_DATA, stringField(PLUGIN_NAME, 'text')));
  return event(wallTime, step, messageField(EVENT_SUMMARY, messageField(SUMMARY_VALUE, stringField(VALUE_TAG, tag), tensor, metadata)));
}

/**
 * SessionLog START at `step`: TensorBoard then drops the events of earlier files at this step and
 * later, so a run resumed from its checkpoint does not show the steps it repeats twice.
 */
export function sessionStartEvent(wallTime: number, step: number): Uint8Array {
  return event(wallTime, step, messageField(EVENT_SESSION_LOG, int64Field(SESSION_STATUS, SESSION_START)));
}
