// Turns a user's formula in L ("log(1 + 3*L)") into tfjs ops for phi and for phi', the latter
// by mathjs's symbolic derivative; the formula is walked node by node, never evaluated as code.
import * as tf from '@tensorflow/tfjs';
import { derivative, parse, type MathNode } from 'mathjs';
import { ConfigError } from '../../errors.js';

/** phi and phi' of one formula, as elementwise tensor functions. */
export interface CompiledExpr {
  readonly text: string;
  /** phi' in plain notation, as mathjs derived it. */
  readonly derivativeText: string;
  phi(loss: tf.Tensor): tf.Tensor;
  dphi(loss: tf.Tensor): tf.Tensor;
}

type Value = tf.Tensor;
type Evaluator = (loss: tf.Tensor) => Value;

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

/** The functions a formula may use; all are ones mathjs can differentiate. */
const FUNCTIONS: Record<string, (x: Value) => Value> = {
  exp: tf.exp,
  expm1: tf.expm1,
  log1p: tf.log1p,
  log2: (x) => tf.div(tf.log(x), Math.LN2),
  log10: (x) => tf.div(tf.log(x), Math.LN10),
  sqrt: tf.sqrt,
  abs: tf.abs,
  sin: tf.sin,
  cos: tf.cos,
  tan: tf.tan,
  asin: tf.asin,
  acos: tf.acos,
  atan: tf.atan,
  sinh: tf.sinh,
  cosh: tf.cosh,
  tanh: tf.tanh,
  asinh: tf.asinh,
  acosh: tf.acosh,
  atanh: tf.atanh,
  sech: (x) => tf.reciprocal(tf.cosh(x)),
  csch: (x) => tf.reciprocal(tf.sinh(x)),
  coth: (x) => tf.reciprocal(tf.tanh(x)),
  sec: (x) => tf.reciprocal(tf.cos(x)),
  csc: (x) => tf.reciprocal(tf.sin(x)),
  cot: (x) => tf.reciprocal(tf.tan(x)),
};

const BINARY: Record<string, (a: Value, b: Value) => Value> = {
  add: tf.add,
  subtract: tf.sub,
  multiply: tf.mul,
  divide: tf.div,
  pow: tf.pow,
};

const KNOWN_FUNCTIONS = ['log (one or two arguments)', ...Object.keys(FUNCTIONS)].join(', ');

/** Compile a formula in L; throws ConfigError naming the first thing it cannot use. */
export function compileExpr(text: string): CompiledExpr {
  const node = parseFormula(text);
  const phi = compileNode(node, text);
  let derived: MathNode;
  try {
    derived = derivative(node, 'L');
  } catch (error) {
    throw new ConfigError(`cannot differentiate phi '${text}': ${(error as Error).message}`);
  }
  const dphi = compileNode(derived, text);
  return {
    text,
    derivativeText: derived.toString(),
    phi: (loss) => tf.tidy(() => shapedLike(loss, phi(loss))),
    dphi: (loss) => tf.tidy(() => shapedLike(loss, dphi(loss))),
  };
}

function parseFormula(text: string): MathNode {
  if (text.trim() === '') throw new ConfigError("phi is empty; expected a formula in L such as 'log(1 + L)'");
  try {
    return parse(text);
  } catch (error) {
    throw new ConfigError(`cannot parse phi '${text}': ${(error as Error).message}`);
  }
}

/**
 * A constant formula (or derivative) gives a scalar; the caller expects L's shape, and autodiff
 * expects a result that depends on L (here with gradient zero).
 */
function shapedLike(loss: tf.Tensor, value: Value): tf.Tensor {
  return value.shape.length === loss.shape.length ? value : tf.add(tf.mul(loss, 0), value);
}

function compileNode(node: MathNode, text: string): Evaluator {
  const fail = (what: string): never => {
    throw new ConfigError(`phi '${text}': ${what}`);
  };
  const n = node as MathNode & Record<string, any>;
  switch (node.type) {
    case 'ConstantNode': {
      if (typeof n.value !== 'number') fail(`'${node.toString()}' is not a number`);
      const value = n.value as number;
      return () => tf.scalar(value);
    }
    case 'SymbolNode': {
      const name = n.name as string;
      if (name === 'L') return (loss) => loss;
      if (name in CONSTANTS) return () => tf.scalar(CONSTANTS[name]);
      return fail(`unknown symbol '${name}'; a formula may use L, pi, e and numbers`);
    }
    case 'ParenthesisNode':
      return compileNode(n.content, text);
    case 'OperatorNode':
      return compileOperator(n, text, fail);
    case 'FunctionNode':
      return compileFunction(n, text, fail);
    default:
      return fail(`'${node.toString()}' is not allowed (${node.type}); expected arithmetic on L and functions`);
  }
}

function compileOperator(n: Record<string, any>, text: string, fail: (what: string) => never): Evaluator {
  const args = (n.args as MathNode[]).map((arg) => compileNode(arg, text));
  if (args.length === 1 && (n.fn === 'unaryMinus' || n.fn === 'unaryPlus')) {
    const [x] = args;
    return n.fn === 'unaryMinus' ? (loss) => tf.neg(x(loss)) : x;
  }
  const op = BINARY[n.fn as string];
  if (op === undefined || args.length !== 2) {
    return fail(`operator '${n.op}' is not supported; use + - * / ^`);
  }
  const [a, b] = args;
  return (loss) => op(a(loss), b(loss));
}

function compileFunction(n: Record<string, any>, text: string, fail: (what: string) => never): Evaluator {
  const name = n.fn?.name as string | undefined;
  const args = (n.args as MathNode[]).map((arg) => compileNode(arg, text));
  if (name === 'log') {
    if (args.length === 1) return (loss) => tf.log(args[0](loss));
    if (args.length === 2) return (loss) => tf.div(tf.log(args[0](loss)), tf.log(args[1](loss)));
  }
  const fn = name === undefined ? undefined : FUNCTIONS[name];
  if (fn === undefined) return fail(`unknown function '${name ?? n.fn?.toString()}'; known: ${KNOWN_FUNCTIONS}`);
  if (args.length !== 1) return fail(`${name}() takes one argument, got ${args.length}`);
  return (loss) => fn(args[0](loss));
}
