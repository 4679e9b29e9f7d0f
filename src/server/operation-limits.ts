import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  Kind, TypeInfo, ValidationContext, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLSchema,
  type OperationDefinitionNode, type SelectionSetNode, type ValidationRule,
} from 'graphql';

/** The bounds every operation is held to before it costs anything (README, "Security"). */
export interface OperationLimits {
  /** Lexical tokens of the document; parsing stops at the first one past it. */
  readonly tokens: number;
  /** Nesting of selections, fragments flattened (Apollo Sandbox's introspection is not counted). */
  readonly depth: number;
  /** Aliases, counted through fragments as they expand. */
  readonly aliases: number;
  /** Fields selected at the root of an operation, through fragments. */
  readonly rootFields: number;
  /** Directives anywhere in an operation, through fragments. */
  readonly directives: number;
  /** Comparisons of fields that share a response name, which validation makes pairwise. */
  readonly fieldMerges: number;
  /** What the operation costs with its variables (graphql/cost-policy.ts). */
  readonly cost: number;
}

export type LimitName = keyof OperationLimits;

export interface LimitExceeded {
  readonly limit: LimitName;
  readonly max: number;
  /** With `partial`, where counting stopped (max + 1): there are more. */
  readonly actual: number;
  /** Counting stopped past the limit (tokens, field merges, a cost past its walk's bound). */
  readonly partial?: boolean;
}

/** Each limit's name and what it counts, in a refusal's message. */
const WORDING: Readonly<Record<LimitName, readonly [label: string, counted: string]>> = {
  tokens: ['Token', 'tokens'],
  depth: ['Depth', 'levels of nesting'],
  aliases: ['Alias', 'aliases'],
  rootFields: ['Root field', 'root fields'],
  directives: ['Directive', 'directives'],
  fieldMerges: ['Field merge', 'comparisons of fields sharing a response name'],
  cost: ['Cost', 'units of cost'],
};

/** "Depth limit exceeded: 100 levels of nesting where at most 10 are allowed (90 over)." */
export function describeExceeded({ limit, max, actual, partial }: LimitExceeded): string {
  const [label, counted] = WORDING[limit];
  if (partial) {
    return `${label} limit exceeded: more than ${max} ${counted} where at most ${max} are allowed (counting stopped there).`;
  }
  return `${label} limit exceeded: ${actual} ${counted} where at most ${max} are allowed (${actual - max} over).`;
}

/**
 * The limits that need only the document (not the variables), checked after parsing and before
 * validation: each is linear in the document (fragments are counted once each, as they expand),
 * so a document refused here never reaches graphql-js's overlapping-fields rule, which compares
 * every pair of fields sharing a response name (quadratic; 2,000 repeats blocked the loop 29 s).
 * GraphQL Armor's rules count depth, aliases and directives; root fields and field merges are
 * counted here. Depth ignores `__schema` (Sandbox's introspection nests `ofType` nine deep): the
 * cost limit prices introspection like any other selection.
 */
export function exceededStaticLimits(schema: GraphQLSchema, document: DocumentNode, limits: OperationLimits): LimitExceeded[] {
  const measured = { depth: 0, aliases: 0, directives: 0 };
  const keep = (name: keyof typeof measured) => (_context: unknown, details: { readonly n: number }): void => {
    measured[name] = Math.max(measured[name], details.n);
  };
  // The rules accept everything (n: the largest number) and report their counts: the gate
  // compares them with the limits itself, so that a refusal can say by how much.
  const counting = { n: Number.MAX_SAFE_INTEGER, propagateOnRejection: false };
  onOperations(schema, document, [
    maxDepthRule({ ...counting, flattenFragments: true, ignoreIntrospection: true, onAccept: [keep('depth')] }),
    maxAliasesRule({ ...counting, onAccept: [keep('aliases')] }),
    maxDirectivesRule({ ...counting, onAccept: [keep('directives')] }),
  ]);
  // Fields merging at one level, fragments expanded, are bounded like the comparisons between them:
  // a fan-out of fragments that spread each other several times would expand exponentially.
  const selections = new FieldsAtLevel(document, limits.fieldMerges + 1);
  let rootFields = 0;
  let fieldMerges: number;
  try {
    for (const definition of document.definitions) {
      if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
      let count = 0;
      for (const fields of selections.of(definition.selectionSet).values()) count += fields.length;
      rootFields = Math.max(rootFields, count);
    }
    fieldMerges = countFieldMerges(document, selections, limits.fieldMerges);
  } catch (error) {
    if (!(error instanceof OverBudget)) throw error;
    fieldMerges = limits.fieldMerges + 1;
  }
  const actual: Readonly<Record<Exclude<LimitName, 'tokens' | 'cost'>, number>> = {
    rootFields,
    aliases: measured.aliases,
    depth: measured.depth,
    directives: measured.directives,
    fieldMerges,
  };
  const exceeded: LimitExceeded[] = [];
  for (const limit of ['rootFields', 'aliases', 'depth', 'directives', 'fieldMerges'] as const) {
    if (actual[limit] > limits[limit]) exceeded.push({ limit, max: limits[limit], actual: actual[limit], ...(limit === 'fieldMerges' ? { partial: true } : {}) });
  }
  return exceeded;
}

interface OperationVisitor {
  readonly OperationDefinition?: { readonly enter?: (this: OperationVisitor, node: OperationDefinitionNode) => void };
}

/**
 * Runs rules whose visitors look only at operation definitions (GraphQL Armor's: each walks its
 * operation itself, fragments counted once each) on each operation of the document. Calling
 * `validate` for them would also walk every node with a TypeInfo, which on a document of 2,000
 * tokens costs more (measured: 6 ms for 1,500 fields) than all the counting.
 */
function onOperations(schema: GraphQLSchema, document: DocumentNode, rules: readonly ValidationRule[]): void {
  const context = new ValidationContext(schema, document, new TypeInfo(schema), () => undefined);
  const visitors = rules.map((rule) => rule(context) as OperationVisitor);
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const visitor of visitors) visitor.OperationDefinition?.enter?.call(visitor, definition);
  }
}

/** Thrown to stop counting (caught in this module; never leaves it). */
class OverBudget extends Error {}

/**
 * The fields that merge at the level of a selection set, by response name: its own, those of its
 * inline fragments, and those of the fragments it spreads (as GraphQL collects them). Remembered
 * per selection set; a fragment that spreads itself is not followed again (validation refuses it).
 * Past `maxPerLevel` fields at one level it throws OverBudget: expanding stops there.
 */
class FieldsAtLevel {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  private readonly known = new Map<SelectionSetNode, Map<string, FieldNode[]>>();

  constructor(
    document: DocumentNode,
    private readonly maxPerLevel: number,
  ) {
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) this.fragments.set(definition.name.value, definition);
    }
  }

  of(selectionSet: SelectionSetNode, following: Set<string> = new Set()): Map<string, FieldNode[]> {
    const known = this.known.get(selectionSet);
    if (known) return known;
    const fields = new Map<string, FieldNode[]>();
    let total = 0;
    const add = (name: string, more: readonly FieldNode[]): void => {
      total += more.length;
      if (total > this.maxPerLevel) throw new OverBudget();
      const list = fields.get(name);
      if (list) list.push(...more);
      else fields.set(name, [...more]);
    };
    for (const selection of selectionSet.selections) {
      switch (selection.kind) {
        case Kind.FIELD:
          add(selection.alias?.value ?? selection.name.value, [selection]);
          break;
        case Kind.INLINE_FRAGMENT:
          for (const [name, more] of this.of(selection.selectionSet, following)) add(name, more);
          break;
        case Kind.FRAGMENT_SPREAD: {
          const fragment = this.fragments.get(selection.name.value);
          if (!fragment || following.has(fragment.name.value)) break;
          following.add(fragment.name.value);
          for (const [name, more] of this.of(fragment.selectionSet, following)) add(name, more);
          following.delete(fragment.name.value);
          break;
        }
      }
    }
    this.known.set(selectionSet, fields);
    return fields;
  }
}

/**
 * How many field comparisons graphql-js's OverlappingFieldsCanBeMergedRule would make (an upper
 * bound: it remembers pairs of fragments, this does not), counting up to budget + 1. Within each
 * selection set, every pair of fields sharing a response name is compared, and a compared pair
 * compares the fields of its two sub-selections that share a name in turn: repeats that nest
 * multiply, which a count of repeats alone would not see.
 */
function countFieldMerges(document: DocumentNode, selections: FieldsAtLevel, budget: number): number {
  let count = 0;
  const compare = (a: FieldNode, b: FieldNode): void => {
    count += 1;
    if (count > budget) throw new OverBudget();
    if (a.selectionSet && b.selectionSet) between(a.selectionSet, b.selectionSet);
  };
  const between = (a: SelectionSetNode, b: SelectionSetNode): void => {
    const right = selections.of(b);
    for (const [name, lefts] of selections.of(a)) {
      const rights = right.get(name);
      if (rights) for (const l of lefts) for (const r of rights) compare(l, r);
    }
  };
  try {
    // Every selection set of the document (operations and fragments, used or not), without recursion.
    const pending: SelectionSetNode[] = [];
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) pending.push(definition.selectionSet);
    }
    for (let set = pending.pop(); set; set = pending.pop()) {
      for (const fields of selections.of(set).values()) {
        for (let i = 0; i < fields.length; i += 1) for (let j = i + 1; j < fields.length; j += 1) compare(fields[i]!, fields[j]!);
      }
      for (const selection of set.selections) {
        if (selection.kind !== Kind.FRAGMENT_SPREAD && selection.selectionSet) pending.push(selection.selectionSet);
      }
    }
  } catch (error) {
    if (!(error instanceof OverBudget)) throw error;
    // Over the budget of comparisons, or of fields at one level (which merge the same way).
    return budget + 1;
  }
  return count;
}
