; Review units of Python: `@unit.<kind>` captures a unit, `@name` its name.
;
; When several patterns capture the same unit, the first pattern wins, so
; the specific patterns come first. `(#parent? "a/b" "c")` keeps a unit whose
; parent is a `b` inside an `a`, or a `c`. Patterns start at the unit, never
; at its parent, so that a query over a few lines stays within them. A
; decorated definition is one unit with its decorators: vouch widens the
; definition to its `decorated_definition` (before `#parent?` looks at it),
; and adds the rest of its last line, in code (src/syntax/units.rs).
; `from __future__` imports and an encoding declaration on the first two
; lines change what the whole file means: they belong to the unit of the
; whole file (kind `whole-file`), which vouch adds in code.

; Methods: functions defined directly in a class body.
((function_definition name: (identifier) @name) @unit.method
  (#parent? "class_definition/block"))

; Definitions, wherever they are (a function nested in a function is a unit).
(function_definition name: (identifier) @name) @unit.function
(class_definition name: (identifier) @name) @unit.class

; Module-level statements.
([(import_statement) (import_from_statement)] @unit.import
  (#parent? "module"))
((expression_statement
   [(assignment left: (identifier) @name)
    (augmented_assignment left: (identifier) @name)]) @unit.statement
  (#parent? "module"))
([(assert_statement) (break_statement) (continue_statement) (delete_statement)
  (exec_statement) (expression_statement) (global_statement) (nonlocal_statement)
  (pass_statement) (print_statement) (raise_statement) (return_statement)
  (type_alias_statement) (decorated_definition) (for_statement) (if_statement)
  (match_statement) (try_statement) (while_statement) (with_statement)] @unit.statement
  (#parent? "module"))
