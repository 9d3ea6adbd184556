; Review units of TypeScript (and, with queries/tsx/units.scm, of TSX):
; `@unit.<kind>` captures a unit, `@name` its name.
;
; When several patterns capture the same unit, the first pattern wins, so
; the specific patterns come first. `(#parent? "a/b" "c")` keeps a unit whose
; parent is a `b` inside an `a`, or a `c`. Patterns start at the unit, never
; at its parent, so that a query over a few lines stays within them. vouch
; widens a declaration to the `export` or `declare` around it (before
; `#parent?` looks at it), and adds the decorators above it (across blank
; lines and comments), the `/** */` comment just above it and the rest of
; its last line, in code (src/syntax/units.rs). The directives that open a
; file (`"use strict"`, `"use client"`) change what the whole file means:
; they belong to the unit of the whole file (kind `whole-file`), which vouch adds
; in code.

; Methods: in class bodies, including fields holding a function and
; signatures (overloads, abstract methods).
([(method_definition name: (_) @name)
  (method_signature name: (_) @name)
  (abstract_method_signature name: (_) @name)
  (public_field_definition
    name: (_) @name
    value: [(arrow_function) (function_expression) (generator_function)])] @unit.method
  (#parent? "class_body"))

; Declarations, wherever they are (a function nested in a function is a
; unit).
(function_declaration name: (identifier) @name) @unit.function
(generator_function_declaration name: (identifier) @name) @unit.function
(function_signature name: (identifier) @name) @unit.function
(class_declaration name: (type_identifier) @name) @unit.class
(abstract_class_declaration name: (type_identifier) @name) @unit.class
(interface_declaration name: (type_identifier) @name) @unit.interface
(enum_declaration name: (identifier) @name) @unit.enum
(type_alias_declaration name: (type_identifier) @name) @unit.type
(internal_module name: (_) @name) @unit.module
(module name: (_) @name) @unit.module

; Top-level statements; a variable holding a function is a function.
([(lexical_declaration
    (variable_declarator
      name: (identifier) @name
      value: [(arrow_function) (function_expression) (generator_function)]))
  (variable_declaration
    (variable_declarator
      name: (identifier) @name
      value: [(arrow_function) (function_expression) (generator_function)]))] @unit.function
  (#parent? "program"))
([(import_statement) (import_alias)] @unit.import
  (#parent? "program"))
([(lexical_declaration (variable_declarator name: (identifier) @name))
  (variable_declaration (variable_declarator name: (identifier) @name))] @unit.statement
  (#parent? "program"))
((statement) @unit.statement
  (#parent? "program"))
