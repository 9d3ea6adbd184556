; Review units of Java: `@unit.<kind>` captures a unit, `@name` its name.
;
; `(#parent? "a/b" "c")` keeps a unit whose parent is a `b` inside an `a`, or
; a `c`. Patterns start at the unit, never at its parent, so that a query
; over a few lines stays within them. Annotations are part of a
; declaration's modifiers, so a unit holds them; the `/** */` Javadoc just
; above a declaration and the rest of its last line belong to it too, which
; vouch adds in code (src/syntax/units.rs). Constructors are methods.

(method_declaration name: (identifier) @name) @unit.method
(constructor_declaration name: (identifier) @name) @unit.method
(compact_constructor_declaration name: (identifier) @name) @unit.method
(class_declaration name: (identifier) @name) @unit.class
(interface_declaration name: (identifier) @name) @unit.interface
(enum_declaration name: (identifier) @name) @unit.enum
(record_declaration name: (identifier) @name) @unit.record
(annotation_type_declaration name: (identifier) @name) @unit.annotation

; Top-level declarations.
([(package_declaration (_) @name) @unit.package
  (import_declaration) @unit.import
  (module_declaration name: (_) @name) @unit.module]
  (#parent? "program"))
