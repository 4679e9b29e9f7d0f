import { Kind, parse, visit, type ASTNode, type GraphQLError, type Source, type ValueNode } from 'graphql';
import { fieldPath } from './input-bounds';

type Segment = string | number;

/**
 * Where the argument values of one document are: the path of each value by its offset, and the
 * path of the first argument value each variable stands for.
 */
interface DocumentIndex {
  readonly values: ReadonlyMap<number, readonly Segment[]>;
  readonly variables: ReadonlyMap<string, readonly Segment[]>;
}

/** One index per document, built on its first refused value: errors of one request share it. */
const indexes = new WeakMap<Source, DocumentIndex | null>();

function indexOf(source: Source): DocumentIndex | null {
  const known = indexes.get(source);
  if (known !== undefined) return known;
  let index: DocumentIndex | null = null;
  try {
    const values = new Map<number, readonly Segment[]>();
    const variables = new Map<string, readonly Segment[]>();
    // The document was parsed once already (its errors point into it), so this parse succeeds.
    visit(parse(source), {
      Argument(argument) {
        // Breadth first, without recursion: a literal may be nested as deep as the parser allowed.
        const queue: (readonly [ValueNode | ASTNode, readonly Segment[]])[] = [[argument.value, [argument.name.value]]];
        for (let i = 0; i < queue.length; i += 1) {
          const [node, path] = queue[i]!;
          if (node.loc) values.set(node.loc.start, path);
          if (node.kind === Kind.VARIABLE) {
            if (!variables.has(node.name.value)) variables.set(node.name.value, path);
          } else if (node.kind === Kind.OBJECT) {
            for (const f of node.fields) {
              const fieldPathSegments = [...path, f.name.value];
              // An unknown input field is reported on its ObjectField node.
              if (f.loc) values.set(f.loc.start, fieldPathSegments);
              queue.push([f.value, fieldPathSegments]);
            }
          } else if (node.kind === Kind.LIST) {
            node.values.forEach((v, n) => queue.push([v, [...path, n]]));
          }
        }
      },
    });
    index = { values, variables };
  } catch {
    index = null;
  }
  indexes.set(source, index);
  return index;
}

const VALUE_KINDS: ReadonlySet<string> = new Set([
  Kind.STRING, Kind.INT, Kind.FLOAT, Kind.BOOLEAN, Kind.NULL, Kind.ENUM, Kind.LIST, Kind.OBJECT, Kind.OBJECT_FIELD,
]);

/** `.a[2].b` (graphql-js's printPathArray) as segments; null when it is not such a path. */
function pathSegments(text: string): Segment[] | null {
  if (!/^(\.[_A-Za-z][_0-9A-Za-z]*|\[\d+\])*$/.test(text)) return null;
  return [...text.matchAll(/\.([_A-Za-z][_0-9A-Za-z]*)|\[(\d+)\]/g)].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])));
}

/** The innermost message: the scalar's or graphql-js's own reason, without the value echoed around it. */
function reason(error: GraphQLError): string {
  return error.originalError?.message ?? error.message;
}

export interface InputErrorDescription {
  readonly field: string;
  readonly message: string;
}

/**
 * For a request error about an argument value, the field at fault and the reason, so that a value
 * refused as a literal (a validation error) and the same value refused in a variable (a coercion
 * error) answer alike; null for any other error. graphql-js says where a literal is by its node,
 * and where a value is inside a variable only in its message (`at "input.notionalBrl"`); the
 * document says which argument each variable stands for.
 */
export function describeInputError(error: GraphQLError, code: string): InputErrorDescription | null {
  const node = error.nodes?.[0];
  const source = error.source;
  if (!node || !source) return null;
  // Coercion errors of variables are BAD_USER_INPUT; validation errors on a variable definition
  // (declared with the wrong type, unused) are the document's, and stay as they are.
  if (node.kind === Kind.VARIABLE_DEFINITION && code === 'BAD_USER_INPUT') {
    const name = node.variable.name.value;
    const prefix = `Variable "$${name}" `;
    if (!error.message.startsWith(prefix)) return null;
    const usage = indexOf(source)?.variables.get(name) ?? [name];
    let inner: Segment[] = [];
    const cause = reason(error);
    // `Variable "$input" got invalid value … at "input.notionalBrl"; <cause>`
    if (error.message.endsWith(`"; ${cause}`)) {
      const head = error.message.slice(0, -(cause.length + 2));
      const marker = ` at "${name}`;
      const at = head.lastIndexOf(marker);
      if (at >= 0) inner = pathSegments(head.slice(at + marker.length, -1)) ?? [];
    }
    return { field: fieldPath([...usage, ...inner]), message: cause };
  }
  if (code !== 'GRAPHQL_VALIDATION_FAILED' || !VALUE_KINDS.has(node.kind) || !node.loc) return null;
  const path = indexOf(source)?.values.get(node.loc.start);
  return path ? { field: fieldPath(path), message: reason(error) } : null;
}
