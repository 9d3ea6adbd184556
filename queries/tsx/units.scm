; Review units of TSX: the patterns of queries/typescript/units.scm, which
; vouch puts before this file's, hold for TSX too; none are added here.
