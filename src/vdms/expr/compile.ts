// Turns a user's formula in L ("log(1 + 3*L)") into tfjs ops for phi and for phi', the latter
// by mathjs's symbolic derivative; the formula is walked node by node, never evaluated as code.
// Size, depth and the derivative's size are bounded, so a hostile formula is refused at once.
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

/**
 * Bounds far above any real phi (the built-in ones are under 20 nodes). The derivative of a
 * formula can be quadratic in its size (a power tower of 16 L's: 31 nodes, phi' 631), and
 * every node is a tensor op per training step, so phi' has its own cap.
 */
export const EXPR_LIMITS = { characters: 500, nodes: 100, depth: 50, derivativeNodes: 2000 } as const;

const CONSTANTS: Record<string, number> = { pi: Math.PI, e: Math.E };

/** Only a table's own entries: `constructor` or `toString` are not formula names. */
function own<T>(table: Record<string, T>, name: string | undefined): T | undefined {
  return name !== undefined && Object.hasOwn(table, name) ? table[name] : undefined;
}

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
    // No simplify: mathjs's rule rewriting is superlinear in the derivative's size (a power
    // tower of 16 L's took over a minute); the plain derivative is exact and fast to build.
    derived = derivative(node, 'L', { simplify: false });
  } catch (error) {
    throw new ConfigError(`cannot differentiate phi '${text}': ${(error as Error).message}`);
  }
  const derivedSize = measure(derived).nodes;
  if (derivedSize > EXPR_LIMITS.derivativeNodes) {
    throw new ConfigError(`phi '${shorten(text)}': its derivative has ${derivedSize} terms, more than ${EXPR_LIMITS.derivativeNodes}; write a simpler formula`);
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
  if (text.length > EXPR_LIMITS.characters) {
    throw new ConfigError(`phi '${shorten(text)}' is ${text.length} characters long; at most ${EXPR_LIMITS.characters}`);
  }
  let node: MathNode;
  try {
    node = parse(text);
  } catch (error) {
    throw new ConfigError(`cannot parse phi '${text}': ${(error as Error).message}`);
  }
  const { nodes, depth } = measure(node);
  if (nodes > EXPR_LIMITS.nodes) throw new ConfigError(`phi '${shorten(text)}' has ${nodes} terms; at most ${EXPR_LIMITS.nodes}`);
  if (depth > EXPR_LIMITS.depth) throw new ConfigError(`phi '${shorten(text)}' is nested ${depth} levels deep; at most ${EXPR_LIMITS.depth}`);
  return node;
}

/** Node count and depth (parentheses do not count as a level). */
function measure(node: MathNode): { nodes: number; depth: number } {
  let nodes = 0;
  const walk = (n: MathNode, depth: number): number => {
    nodes++;
    let deepest = depth;
    const level = n.type === 'ParenthesisNode' ? depth : depth + 1;
    n.forEach((child) => {
      deepest = Math.max(deepest, walk(child, level));
    });
    return Math.max(deepest, level);
  };
  const depth = walk(node, 0);
  return { nodes, depth };
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
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
      const constant = own(CONSTANTS, name);
      if (constant !== undefined) return () => tf.scalar(constant);
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
  const op = own(BINARY, n.fn as string);
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
  const fn = own(FUNCTIONS, name);
  if (fn === undefined) return fail(`unknown function '${name ?? n.fn?.toString()}'; known: ${KNOWN_FUNCTIONS}`);
  if (args.length !== 1) return fail(`${name}() takes one argument, got ${args.length}`);
  return (loss) => fn(args[0](loss));
}
