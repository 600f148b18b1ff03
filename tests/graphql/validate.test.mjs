// Validates every GraphQL document pagelift sends (src/shopify/graphql/*.graphql) against Shopify's published Admin
// schema (2026-10, from @shopify/dev-mcp; fetched by scripts/fetch-admin-schema). A document that names a field,
// argument or type the schema does not have, or a deprecated field, fails this test.
//
// Run: PAGELIFT_ADMIN_SCHEMA=<path to admin_2026-10.json.gz> node --test tests/graphql/
// The Bulk*.graphql files are bulk inner queries (the $query of BulkOperationRunQuery): also checked against Shopify's
// bulk rules (no variables, at most 5 connections, connections nested at most 2 deep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema, parse, validate, specifiedRules, NoDeprecatedCustomRule, TypeInfo, visit, visitWithTypeInfo,
  getNamedType, Kind,
} from 'graphql';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const documentsDir = join(root, 'src', 'shopify', 'graphql');
const schemaPath = process.env.PAGELIFT_ADMIN_SCHEMA;
if (!schemaPath) throw new Error('PAGELIFT_ADMIN_SCHEMA is not set (run scripts/fetch-admin-schema <dir> first)');

const introspection = JSON.parse(gunzipSync(readFileSync(schemaPath)).toString('utf8'));
const schema = buildClientSchema(introspection.data ?? introspection);
const files = readdirSync(documentsDir).filter((f) => f.endsWith('.graphql')).sort();

// Connections in a bulk query: every selected field whose type is a *Connection, with its depth among connections.
function connectionsOf(document) {
  const typeInfo = new TypeInfo(schema);
  const found = [];
  let depth = 0;
  const isConnection = () => getNamedType(typeInfo.getType())?.name?.endsWith('Connection') ?? false;
  const stack = [];
  visit(document, visitWithTypeInfo(typeInfo, {
    Field: {
      enter(node) {
        const connection = isConnection();
        stack.push(connection);
        if (connection) {
          depth += 1;
          found.push({ name: node.name.value, depth });
        }
      },
      leave() {
        if (stack.pop()) depth -= 1;
      },
    },
  }));
  return found;
}

test('there are documents to validate', () => {
  assert.ok(files.length >= 10, `only ${files.length} documents in ${documentsDir}`);
});

for (const file of files) {
  test(`${file} validates against the Admin API 2026-10 schema`, () => {
    const source = readFileSync(join(documentsDir, file), 'utf8');
    const document = parse(source);
    const errors = validate(schema, document, [...specifiedRules, NoDeprecatedCustomRule]);
    assert.deepEqual(errors.map((e) => `${e.message} (${e.locations?.map((l) => `${l.line}:${l.column}`)})`), []);

    // One operation per file, named as the file: the client sends it as operationName and the simulator dispatches
    // on it.
    const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    assert.equal(operations.length, 1, 'exactly one operation per file');
    assert.equal(operations[0].name?.value, basename(file, '.graphql'), 'operation named after its file');
  });
}

for (const file of files.filter((f) => f.startsWith('Bulk') && f !== 'BulkOperationRunQuery.graphql')) {
  test(`${file} obeys the bulk operation limits`, () => {
    const document = parse(readFileSync(join(documentsDir, file), 'utf8'));
    const [operation] = document.definitions;
    assert.equal(operation.operation, 'query', 'a bulk inner query is a query');
    assert.equal(operation.variableDefinitions.length, 0, 'bulk queries take no variables');
    const connections = connectionsOf(document);
    assert.ok(connections.length >= 1, 'a bulk query selects at least one connection');
    assert.ok(connections.length <= 5, `at most 5 connections, got ${connections.map((c) => c.name)}`);
    const deepest = Math.max(...connections.map((c) => c.depth));
    assert.ok(deepest <= 2, `connections nest at most 2 deep, got ${deepest}`);
  });
}

// The scalar and object fields a document selects on Product (connections and their counts left out): ProductsPage
// and BulkProducts must read the same product, so that the cache holds one shape whichever path wrote it. (Shared
// fragments would say this by construction, but each document is embedded and validated on its own and a bulk query's
// text travels as a string variable, so the lists are compared here instead.)
function productFieldsOf(file) {
  const document = parse(readFileSync(join(documentsDir, file), 'utf8'));
  const typeInfo = new TypeInfo(schema);
  const fields = new Set();
  visit(document, visitWithTypeInfo(typeInfo, {
    Field(node) {
      if (typeInfo.getParentType()?.name !== 'Product') return;
      const type = getNamedType(typeInfo.getType())?.name ?? '';
      if (type.endsWith('Connection') || type === 'Count') return;
      fields.add(node.name.value);
    },
  }));
  return [...fields].sort();
}

test('ProductsPage reads the same product fields as BulkProducts', () => {
  const bulkOnly = new Set(['priceRangeV2']);  // derived from the variants, which a page may not hold in full
  const bulk = productFieldsOf('BulkProducts.graphql').filter((f) => !bulkOnly.has(f));
  assert.deepEqual(productFieldsOf('ProductsPage.graphql'), bulk);
});
