; Risk tags of TSX: the patterns of queries/javascript/risk.scm and
; queries/typescript/risk.scm, which vouch puts before this file's, hold for
; TSX too; none are added here.
