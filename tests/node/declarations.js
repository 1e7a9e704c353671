'use strict'
// Reads the package's hand-written declarations (lib/*.d.ts, lib/*.d.mts)
// with the TypeScript compiler API, for the tests that hold them to the
// runtime (exports.test.js) and to the core (contract.test.js).

const path = require('node:path')
const ts = require('typescript')

const ROOT = path.join(__dirname, '..', '..')
const LIB = path.join(ROOT, 'bindings-node', 'lib')

const OPTIONS = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  strict: true,
  noEmit: true,
  types: ['node'],
  typeRoots: [path.join(ROOT, 'node_modules', '@types')],
}

/** A program over declaration files, and its type checker. */
function load(files) {
  const program = ts.createProgram(files.map((file) => path.join(LIB, file)), OPTIONS)
  return { program, checker: program.getTypeChecker() }
}

function resolved(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
}

function kindOf(symbol) {
  const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0]
  if (!declaration) return 'unknown'
  if (ts.isClassDeclaration(declaration)) return 'class'
  if (ts.isFunctionDeclaration(declaration)) return 'function'
  if (ts.isVariableDeclaration(declaration)) return 'const'
  return ts.SyntaxKind[declaration.kind]
}

function isPrivate(symbol) {
  const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0]
  return Boolean(declaration && ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Private)
}

/**
 * The exports a declaration file declares: `values` (classes, functions,
 * consts: what must exist at runtime, with their kind and symbol) and
 * `types` (interfaces and type aliases only), `export *` followed.
 */
const exportsCache = new Map()

function declaredExports(file) {
  if (!exportsCache.has(file)) exportsCache.set(file, readExports(file))
  return exportsCache.get(file)
}

function readExports(file) {
  const { program, checker } = load([file])
  const source = program.getSourceFile(path.join(LIB, file))
  const moduleSymbol = checker.getSymbolAtLocation(source)
  const values = new Map()
  const types = new Set()
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = resolved(checker, exported)
    if (symbol.flags & ts.SymbolFlags.Value) values.set(exported.name, { kind: kindOf(symbol), symbol })
    else types.add(exported.name)
  }
  return { checker, values, types }
}

/** What a declared class declares: instance members and statics, by name, with their kind. */
function classMembers(checker, symbol) {
  const own = (table) => {
    const members = new Map()
    table?.forEach((member, name) => {
      if (name === '__constructor' || name === 'prototype' || isPrivate(member)) return
      const declaration = member.valueDeclaration ?? member.declarations?.[0]
      const kind = declaration && (ts.isMethodDeclaration(declaration) ? 'method' : ts.isGetAccessor(declaration) ? 'getter' : 'property')
      members.set(String(name), { kind, optional: Boolean(member.flags & ts.SymbolFlags.Optional) })
    })
    return members
  }
  // Every instance property, inherited ones included (for checking instances).
  const type = checker.getDeclaredTypeOfSymbol(symbol)
  const properties = new Map()
  for (const property of checker.getPropertiesOfType(type)) {
    if (isPrivate(property)) continue
    properties.set(property.name, { optional: Boolean(property.flags & ts.SymbolFlags.Optional) })
  }
  return { instance: own(symbol.members), statics: own(symbol.exports), properties }
}

/** The string literals of every union type alias in `file` (through `Open<...>`). */
function stringUnions(file) {
  const { program } = load([file])
  const source = program.getSourceFile(path.join(LIB, file))
  const unions = new Map()
  const literals = (node) => {
    const found = []
    const visit = (child) => {
      if (ts.isLiteralTypeNode(child) && ts.isStringLiteral(child.literal)) found.push(child.literal.text)
      ts.forEachChild(child, visit)
    }
    visit(node)
    return found
  }
  for (const statement of source.statements) {
    if (ts.isTypeAliasDeclaration(statement)) unions.set(statement.name.text, literals(statement.type))
    if (ts.isInterfaceDeclaration(statement)) {
      for (const member of statement.members) {
        if (ts.isPropertySignature(member) && member.type && ts.isIdentifier(member.name)) {
          unions.set(`${statement.name.text}.${member.name.text}`, literals(member.type))
        }
      }
    }
  }
  return unions
}

module.exports = { ROOT, LIB, declaredExports, classMembers, stringUnions }
