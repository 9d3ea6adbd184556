; Review units of Rust: `@unit.<kind>` captures a unit, `@name` its name.
;
; When several patterns capture the same unit, the first pattern wins, so
; the specific patterns come first. `(#parent? "a/b" "c")` keeps a unit whose
; parent is a `b` inside an `a`, or a `c`. Patterns start at the unit, never
; at its parent, so that a query over a few lines stays within them.
; Attributes and outer doc comments (`///`, `/** */`, which are `#[doc]`
; attributes) above an item belong to it, across blank lines and comments
; as rustc reads them, and so does the rest of its last line; vouch adds
; those in code (src/syntax/units.rs). Inner attributes (`#![...]`) are no
; unit of their own: one in an inline module or an impl is part of that
; unit, one at the top of a file belongs to the unit of the whole file
; (kind `whole-file`), since it changes what every item of the file means.

; Methods: functions in impl and trait bodies.
([(function_item name: (identifier) @name)
  (function_signature_item name: (identifier) @name)] @unit.method
  (#parent? "impl_item/declaration_list" "trait_item/declaration_list"))

; Items, wherever they are (a function nested in a function is a unit).
(function_item name: (identifier) @name) @unit.function
(struct_item name: (type_identifier) @name) @unit.struct
(enum_item name: (type_identifier) @name) @unit.enum
(union_item name: (type_identifier) @name) @unit.union
(trait_item name: (type_identifier) @name) @unit.trait
(impl_item trait: (_) @name.trait type: (_) @name) @unit.impl
(impl_item type: (_) @name) @unit.impl
(mod_item name: (identifier) @name) @unit.module
(macro_definition name: (identifier) @name) @unit.macro

; Module-level statements: in the crate root and in inline modules.
([(use_declaration) @unit.import
  (extern_crate_declaration) @unit.import
  (const_item name: (identifier) @name) @unit.const
  (static_item name: (identifier) @name) @unit.static
  (type_item name: (type_identifier) @name) @unit.type
  (macro_invocation macro: (_) @name) @unit.statement
  (foreign_mod_item) @unit.statement]
  (#parent? "source_file" "mod_item/declaration_list"))
