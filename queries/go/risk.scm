; Risk tags of Go: every capture whose name does not start with `_` is a tag
; (unsafe, sql, exec, crypto, auth, deserialize, network, fs-delete), given
; to each unit whose text holds the captured node. An imported package is
; named by its import path; a use of it by `package.Name`.

; unsafe: the unsafe package.
((import_spec path: (interpreted_string_literal) @unsafe)
  (#eq? @unsafe "\"unsafe\""))
((selector_expression operand: (identifier) @unsafe)
  (#eq? @unsafe "unsafe"))
((qualified_type package: (package_identifier) @unsafe)
  (#eq? @unsafe "unsafe"))

; sql: string literals that read like a raw SQL statement.
([(interpreted_string_literal) (raw_string_literal)] @sql
  (#match? @sql "(?is)\\b(select\\s+(distinct\\s+)?(\\*|count\\s*\\(|[\\w.]+\\s*(,|\\bfrom\\b|\\bas\\b))|insert\\s+(or\\s+\\w+\\s+)?into\\s|update\\s+[\\w.\"`]+\\s+set\\s|delete\\s+from\\s|(create|drop|alter|truncate)\\s+(table|index|view|database|schema)\\b)"))

; exec: processes and shells.
((import_spec path: (interpreted_string_literal) @exec)
  (#eq? @exec "\"os/exec\""))
(selector_expression
  operand: (identifier) @_package
  field: (field_identifier) @exec
  (#eq? @_package "exec")
  (#any-of? @exec "Command" "CommandContext" "LookPath"))
(selector_expression
  operand: (identifier) @_package
  field: (field_identifier) @exec
  (#any-of? @_package "syscall" "os")
  (#any-of? @exec "Exec" "ForkExec" "StartProcess"))

; crypto: the crypto packages and x/crypto.
((import_spec path: (interpreted_string_literal) @crypto)
  (#match? @crypto "^\"(crypto(/.*)?|golang\\.org/x/crypto(/.*)?)\"$"))
((selector_expression operand: (identifier) @crypto)
  (#any-of? @crypto "sha1" "sha256" "sha512" "sha3" "md5" "hmac" "aes" "cipher" "des" "rsa" "ecdsa" "ed25519" "ecdh" "elliptic" "tls" "x509" "subtle" "bcrypt" "argon2" "scrypt" "pbkdf2" "hkdf" "chacha20poly1305" "nacl" "secretbox"))

; auth: functions named for, and calls of, authentication and authorization.
([(function_declaration name: (identifier) @auth)
  (method_declaration name: (field_identifier) @auth)
  (call_expression function: (identifier) @auth)
  (call_expression function: (selector_expression field: (field_identifier) @auth))]
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
; ... and calls into a module, object or field named for them (`auth.check(u)`,
; `self.authz.allow(u)`, `auth_service.check(u)`).
(call_expression
  function: (selector_expression operand: [(identifier) @auth
                                           (selector_expression field: (field_identifier) @auth)])
  (#match? @auth "^(?i:auth|authn|authz|authentication|authori[sz]ation|authori[sz]er|authenticator|rbac|abac|acl|permissions?|oauth2?|jwt|sso|saml|casbin|access_?control)(_?(?i:service|client|manager|provider|checker|guard|policy|api))?$"))

; deserialize: gob, which decodes types chosen by the sender.
((import_spec path: (interpreted_string_literal) @deserialize)
  (#eq? @deserialize "\"encoding/gob\""))
((selector_expression operand: (identifier) @deserialize)
  (#eq? @deserialize "gob"))

; network: the net packages, gRPC and websockets.
((import_spec path: (interpreted_string_literal) @network)
  (#match? @network "^\"(net(/.*)?|google\\.golang\\.org/grpc(/.*)?|github\\.com/gorilla/websocket|nhooyr\\.io/websocket|golang\\.org/x/net(/.*)?)\"$"))
((selector_expression operand: (identifier) @network)
  (#any-of? @network "http" "net" "rpc" "smtp" "grpc" "websocket" "httputil"))

; fs-delete: removing files and directories.
(selector_expression
  operand: (identifier) @_package
  field: (field_identifier) @fs-delete
  (#any-of? @_package "os" "afero")
  (#any-of? @fs-delete "Remove" "RemoveAll"))
