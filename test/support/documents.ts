import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { Kind, visit, type DocumentNode, type FieldNode } from 'graphql';

/**
 * The document with `__typename` added at its root: an operation whose root is not all cached
 * fields, which the operation cache passes by, so the resolver cache alone serves it (and stores
 * its root fields' entries, which a fully cached operation's miss leaves to the whole response).
 */
export function fieldLevel<T, V>(document: TypedDocumentNode<T, V>): TypedDocumentNode<T, V> {
  const typename: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };
  const widened: DocumentNode = visit(document, {
    OperationDefinition: (operation) => ({ ...operation, selectionSet: { ...operation.selectionSet, selections: [typename, ...operation.selectionSet.selections] } }),
  });
  return widened;
}
