; Risk tags of JavaScript (and, with queries/typescript/risk.scm, of
; TypeScript and TSX): every capture whose name does not start with `_` is a
; tag (sql, exec, crypto, auth, deserialize, network, fs-delete), given to
; each unit whose text holds the captured node. JavaScript has no unsafe
; code. A module name is a string equal to it (`import`, `require`). The
; TypeScript grammars build these patterns too, so they use only node kinds
; that all three grammars have.

; sql: string literals that read like a raw SQL statement.
([(string) (template_string)] @sql
  (#match? @sql "(?is)\\b(select\\s+(distinct\\s+)?(\\*|count\\s*\\(|[\\w.]+\\s*(,|\\bfrom\\b|\\bas\\b))|insert\\s+(or\\s+\\w+\\s+)?into\\s|update\\s+[\\w.\"`]+\\s+set\\s|delete\\s+from\\s|(create|drop|alter|truncate)\\s+(table|index|view|database|schema)\\b)"))

; exec: processes, shells and evaluated code.
((string (string_fragment) @exec)
  (#match? @exec "^(node:)?child_process$|^(execa|shelljs|cross-spawn)$"))
(call_expression
  function: (identifier) @exec
  (#any-of? @exec "eval" "exec" "execSync" "execFile" "execFileSync" "spawn" "spawnSync" "execa" "execaSync" "execaCommand"))
(call_expression
  function: (member_expression property: (property_identifier) @exec)
  (#any-of? @exec "execSync" "execFile" "execFileSync" "spawnSync"))
(call_expression
  function: (member_expression
    object: (identifier) @_object
    property: (property_identifier) @exec)
  (#any-of? @_object "child_process" "childProcess" "cp" "shell" "Bun" "Deno")
  (#any-of? @exec "exec" "spawn" "fork" "run"))
(new_expression
  constructor: (identifier) @exec
  (#eq? @exec "Function"))
(new_expression
  constructor: (member_expression
    object: (identifier) @_object
    property: (property_identifier) @exec)
  (#eq? @_object "Deno")
  (#eq? @exec "Command"))

; crypto: hashing, ciphers, signatures and secure randomness.
((string (string_fragment) @crypto)
  (#match? @crypto "^((node:)?crypto|crypto-js|bcrypt|bcryptjs|argon2|tweetnacl|node-forge|jose|@noble/.+)$"))
(member_expression
  object: (identifier) @crypto
  (#any-of? @crypto "crypto" "CryptoJS" "bcrypt" "nacl" "forge" "argon2"))
([(member_expression property: (property_identifier) @crypto)
  (call_expression function: (identifier) @crypto)]
  (#any-of? @crypto "subtle" "createHash" "createHmac" "createCipheriv" "createDecipheriv" "randomBytes" "pbkdf2" "pbkdf2Sync" "scrypt" "scryptSync" "createSign" "createVerify" "generateKeyPair" "generateKeyPairSync" "getRandomValues"))

; auth: functions named for, and calls of, authentication and authorization.
([(function_declaration name: (identifier) @auth)
  (generator_function_declaration name: (identifier) @auth)
  (method_definition name: (property_identifier) @auth)
  (variable_declarator
    name: (identifier) @auth
    value: [(arrow_function) (function_expression)])
  (call_expression function: (identifier) @auth)
  (call_expression function: (member_expression property: (property_identifier) @auth))]
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
; ... and calls into a module, object or field named for them (`auth.check(u)`,
; `self.authz.allow(u)`, `auth_service.check(u)`).
(call_expression
  function: (member_expression object: [(identifier) @auth
                                        (member_expression property: (property_identifier) @auth)])
  (#match? @auth "^(?i:auth|authn|authz|authentication|authori[sz]ation|authori[sz]er|authenticator|rbac|abac|acl|permissions?|oauth2?|jwt|sso|saml|casbin|access_?control)(_?(?i:service|client|manager|provider|checker|guard|policy|api))?$"))

; deserialize: libraries that revive code or objects from text.
((string (string_fragment) @deserialize)
  (#any-of? @deserialize "node-serialize" "funcster" "cryo"))
(call_expression
  function: [(identifier) @deserialize
             (member_expression property: (property_identifier) @deserialize)]
  (#eq? @deserialize "unserialize"))
(call_expression
  function: (member_expression
    object: (identifier) @_module
    property: (property_identifier) @deserialize)
  (#any-of? @_module "yaml" "jsyaml" "jsYaml")
  (#any-of? @deserialize "load" "loadAll"))
(call_expression
  function: (member_expression
    object: (identifier) @_module
    property: (property_identifier) @deserialize)
  (#eq? @_module "v8")
  (#eq? @deserialize "deserialize"))

; network: HTTP clients and servers, sockets.
((string (string_fragment) @network)
  (#match? @network "^((node:)?(http|https|http2|net|tls|dgram)|axios|node-fetch|got|superagent|undici|ws|socket\\.io|socket\\.io-client|request|needle)$"))
(call_expression
  function: (identifier) @network
  (#any-of? @network "fetch" "axios" "got" "superagent"))
(member_expression
  object: (identifier) @network
  (#any-of? @network "axios" "http" "https" "http2" "net" "tls" "dgram" "got" "superagent" "undici"))
(new_expression
  constructor: (identifier) @network
  (#any-of? @network "XMLHttpRequest" "WebSocket" "EventSource"))

; fs-delete: removing files and directories.
(call_expression
  function: (member_expression property: (property_identifier) @fs-delete)
  (#any-of? @fs-delete "rm" "rmSync" "rmdir" "rmdirSync" "unlink" "unlinkSync"))
(call_expression
  function: (member_expression
    object: (identifier) @_object
    property: (property_identifier) @fs-delete)
  (#any-of? @_object "fs" "fse" "fsp" "Deno")
  (#any-of? @fs-delete "remove" "removeSync" "emptyDir" "emptyDirSync"))
(call_expression
  function: (identifier) @fs-delete
  (#any-of? @fs-delete "rimraf" "rimrafSync" "rmSync" "unlinkSync" "rmdirSync"))
((string (string_fragment) @fs-delete)
  (#eq? @fs-delete "rimraf"))

