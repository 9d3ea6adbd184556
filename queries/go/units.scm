; Review units of Go: `@unit.<kind>` captures a unit, `@name` its name.
;
; When several patterns capture the same unit, the first pattern wins, so
; the specific patterns come first. `(#parent? "a/b" "c")` keeps a unit whose
; parent is a `b` inside an `a`, or a `c`. Patterns start at the unit, never
; at its parent, so that a query over a few lines stays within them. The
; `//` comment lines just above a declaration (its doc comment) belong to it,
; compiler directives above it (`//go:noinline`, `//go:embed`) across blank
; lines and comments, and so does the rest of its last line; vouch adds
; those in code (src/syntax/units.rs). Build constraints before the package
; clause and `//go:linkname` change what the whole file means: they belong
; to the unit of the whole file (kind `whole-file`). A declaration block with one
; spec takes the spec's kind and name (the anchors `.` say "the only spec").

(function_declaration name: (identifier) @name) @unit.function
(method_declaration name: (field_identifier) @name) @unit.method

; Top-level declarations.
((type_declaration . (type_spec name: (type_identifier) @name type: (struct_type)) .) @unit.struct
  (#parent? "source_file"))
((type_declaration . (type_spec name: (type_identifier) @name type: (interface_type)) .) @unit.interface
  (#parent? "source_file"))
((type_declaration . [(type_spec name: (type_identifier) @name)
                      (type_alias name: (type_identifier) @name)] .) @unit.type
  (#parent? "source_file"))
((type_declaration) @unit.type
  (#parent? "source_file"))
((const_declaration . (const_spec name: (identifier) @name) .) @unit.const
  (#parent? "source_file"))
((const_declaration) @unit.const
  (#parent? "source_file"))
((var_declaration . (var_spec name: (identifier) @name) .) @unit.variable
  (#parent? "source_file"))
((var_declaration) @unit.variable
  (#parent? "source_file"))
((import_declaration) @unit.import
  (#parent? "source_file"))
((package_clause (package_identifier) @name) @unit.package
  (#parent? "source_file"))
