; Risk tags of Java: every capture whose name does not start with `_` is a
; tag (unsafe, sql, exec, crypto, auth, deserialize, network, fs-delete),
; given to each unit whose text holds the captured node. An imported class
; is named by its `scoped_identifier`.

; unsafe: sun.misc.Unsafe and the JDK's internal Unsafe.
((scoped_identifier) @unsafe
  (#match? @unsafe "^(sun\\.misc|jdk\\.internal\\.misc)(\\.Unsafe)?$"))
((type_identifier) @unsafe
  (#eq? @unsafe "Unsafe"))

; sql: string literals (and text blocks) that read like a raw SQL statement.
((string_literal) @sql
  (#match? @sql "(?is)\\b(select\\s+(distinct\\s+)?(\\*|count\\s*\\(|[\\w.]+\\s*(,|\\bfrom\\b|\\bas\\b))|insert\\s+(or\\s+\\w+\\s+)?into\\s|update\\s+[\\w.\"`]+\\s+set\\s|delete\\s+from\\s|(create|drop|alter|truncate)\\s+(table|index|view|database|schema)\\b)"))

; exec: processes, shells and script engines.
(method_invocation
  object: (method_invocation name: (identifier) @_runtime)
  name: (identifier) @exec
  (#eq? @_runtime "getRuntime")
  (#eq? @exec "exec"))
((type_identifier) @exec
  (#any-of? @exec "ProcessBuilder" "ScriptEngine" "ScriptEngineManager"))
((scoped_identifier) @exec
  (#match? @exec "^(java\\.lang\\.(ProcessBuilder|Runtime)|javax\\.script)$"))

; crypto: javax.crypto, java.security and their main classes.
((scoped_identifier) @crypto
  (#match? @crypto "^(javax\\.crypto|java\\.security|org\\.bouncycastle)$"))
([(type_identifier) (identifier)] @crypto
  (#any-of? @crypto "MessageDigest" "SecureRandom" "Cipher" "Mac" "KeyGenerator" "KeyPairGenerator" "Signature" "SecretKeySpec" "KeyStore" "KeyFactory" "SecretKeyFactory" "PBEKeySpec" "BCrypt"))

; auth: methods named for, calls of, and annotations about authentication
; and authorization.
([(method_declaration name: (identifier) @auth)
  (method_invocation name: (identifier) @auth)
  (marker_annotation name: (identifier) @auth)
  (annotation name: (identifier) @auth)]
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
([(marker_annotation name: (identifier) @auth)
  (annotation name: (identifier) @auth)]
  (#any-of? @auth "PreAuthorize" "PostAuthorize" "Secured" "RolesAllowed" "PermitAll" "DenyAll"))
; ... and calls into a module, object or field named for them (`auth.check(u)`,
; `self.authz.allow(u)`, `auth_service.check(u)`).
((method_invocation object: [(identifier) @auth
                             (field_access field: (identifier) @auth)])
  (#match? @auth "^(?i:auth|authn|authz|authentication|authori[sz]ation|authori[sz]er|authenticator|rbac|abac|acl|permissions?|oauth2?|jwt|sso|saml|casbin|access_?control)(_?(?i:service|client|manager|provider|checker|guard|policy|api))?$"))

; deserialize: Java serialization and object-reviving decoders.
((type_identifier) @deserialize
  (#any-of? @deserialize "ObjectInputStream" "XMLDecoder" "XStream"))
((method_invocation name: (identifier) @deserialize)
  (#any-of? @deserialize "readObject" "readUnshared" "fromXML"))

; network: java.net, the HTTP clients and sockets.
((scoped_identifier) @network
  (#match? @network "^(java\\.net|java\\.net\\.http|javax\\.net|okhttp3|org\\.apache\\.http|org\\.springframework\\.web\\.client)$"))
((type_identifier) @network
  (#any-of? @network "HttpClient" "HttpRequest" "HttpURLConnection" "HttpsURLConnection" "URLConnection" "Socket" "ServerSocket" "DatagramSocket" "OkHttpClient" "RestTemplate" "WebClient"))
((method_invocation name: (identifier) @network)
  (#eq? @network "openConnection"))

; fs-delete: removing files and directories.
(method_invocation
  object: (identifier) @_class
  name: (identifier) @fs-delete
  (#eq? @_class "Files")
  (#any-of? @fs-delete "delete" "deleteIfExists"))
(method_invocation
  object: (identifier) @_class
  name: (identifier) @fs-delete
  (#eq? @_class "FileUtils")
  (#any-of? @fs-delete "deleteDirectory" "forceDelete" "deleteQuietly" "cleanDirectory"))
(method_invocation
  name: (identifier) @fs-delete
  arguments: (argument_list) @_arguments
  (#eq? @fs-delete "delete")
  (#eq? @_arguments "()"))
