; Risk tags of Python: every capture whose name does not start with `_` is a
; tag (unsafe, sql, exec, crypto, auth, deserialize, network, fs-delete),
; given to each unit whose text holds the captured node.
;
; `(dotted_name . (identifier))` is the first name of an imported module.

; unsafe: raw memory through ctypes and cffi.
((dotted_name . (identifier) @unsafe)
  (#any-of? @unsafe "ctypes" "cffi"))
(attribute
  object: (identifier) @unsafe
  (#any-of? @unsafe "ctypes" "cffi"))

; sql: string literals that read like a raw SQL statement.
((string) @sql
  (#match? @sql "(?is)\\b(select\\s+(distinct\\s+)?(\\*|count\\s*\\(|[\\w.]+\\s*(,|\\bfrom\\b|\\bas\\b))|insert\\s+(or\\s+\\w+\\s+)?into\\s|update\\s+[\\w.\"`]+\\s+set\\s|delete\\s+from\\s|(create|drop|alter|truncate)\\s+(table|index|view|database|schema)\\b)"))

; exec: processes, shells and evaluated code.
((dotted_name . (identifier) @exec)
  (#any-of? @exec "subprocess" "pty" "commands"))
(attribute
  object: (identifier) @exec
  (#any-of? @exec "subprocess" "pty"))
(call
  function: (attribute
    object: (identifier) @_module
    attribute: (identifier) @exec)
  (#eq? @_module "os")
  (#match? @exec "^(system|popen|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?|startfile|fork|forkpty)$"))
(call
  function: (attribute attribute: (identifier) @exec)
  (#match? @exec "^create_subprocess_(exec|shell)$"))
(call
  function: (identifier) @exec
  (#any-of? @exec "eval" "exec"))

; crypto: hashing, ciphers, signatures, TLS and secrets.
((dotted_name . (identifier) @crypto)
  (#any-of? @crypto "hashlib" "hmac" "secrets" "ssl" "cryptography" "Crypto" "Cryptodome" "nacl" "bcrypt" "passlib" "argon2" "rsa" "ecdsa" "OpenSSL"))
(attribute
  object: (identifier) @crypto
  (#any-of? @crypto "hashlib" "hmac" "secrets" "ssl" "bcrypt" "nacl" "argon2" "rsa" "ecdsa"))

; auth: functions named for, decorators and calls of authentication and
; authorization.
(function_definition
  name: (identifier) @auth
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
([(call function: (identifier) @auth)
  (call function: (attribute attribute: (identifier) @auth))
  (decorator (identifier) @auth)
  (decorator (attribute attribute: (identifier) @auth))]
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
; ... and calls into a module, object or field named for them (`auth.check(u)`,
; `self.authz.allow(u)`, `auth_service.check(u)`).
(call
  function: (attribute object: [(identifier) @auth
                                (attribute attribute: (identifier) @auth)])
  (#match? @auth "^(?i:auth|authn|authz|authentication|authori[sz]ation|authori[sz]er|authenticator|rbac|abac|acl|permissions?|oauth2?|jwt|sso|saml|casbin|access_?control)(_?(?i:service|client|manager|provider|checker|guard|policy|api))?$"))

; deserialize: pickle and its kin, unsafe YAML loading.
((dotted_name . (identifier) @deserialize)
  (#any-of? @deserialize "pickle" "cPickle" "_pickle" "dill" "cloudpickle" "marshal" "shelve" "jsonpickle"))
(call
  function: (attribute
    object: (identifier) @_module
    attribute: (identifier) @deserialize)
  (#any-of? @_module "pickle" "cPickle" "_pickle" "dill" "cloudpickle" "marshal" "shelve" "jsonpickle" "torch")
  (#any-of? @deserialize "load" "loads" "Unpickler" "decode" "open"))
(call
  function: (attribute
    object: (identifier) @_module
    attribute: (identifier) @deserialize)
  (#eq? @_module "yaml")
  (#any-of? @deserialize "load" "load_all" "unsafe_load" "unsafe_load_all" "full_load" "full_load_all"))
(call
  function: (attribute attribute: (identifier) @deserialize)
  (#eq? @deserialize "read_pickle"))

; network: sockets, HTTP clients and servers, mail, remote shells.
((dotted_name . (identifier) @network)
  (#any-of? @network "socket" "socketserver" "requests" "urllib" "urllib2" "urllib3" "httpx" "aiohttp" "http" "ftplib" "smtplib" "telnetlib" "paramiko" "websocket" "websockets" "grpc" "xmlrpc"))
(attribute
  object: (identifier) @network
  (#any-of? @network "socket" "requests" "urllib" "urllib2" "urllib3" "httpx" "aiohttp" "ftplib" "smtplib" "paramiko" "grpc"))
(call
  function: (identifier) @network
  (#eq? @network "urlopen"))

; fs-delete: removing files and directories.
(call
  function: (attribute
    object: (identifier) @_module
    attribute: (identifier) @fs-delete)
  (#any-of? @_module "os" "shutil")
  (#any-of? @fs-delete "remove" "unlink" "rmdir" "removedirs" "rmtree"))
(call
  function: (attribute attribute: (identifier) @fs-delete)
  (#any-of? @fs-delete "unlink" "rmdir" "rmtree"))
