; Risk tags of Java: every capture whose name does not start with `_` is a
; tag (unsafe, sql, exec, crypto, auth, deserialize, network, fs-delete),
; given to each unit whose text holds the captured node. An imported class
; is named by its `scoped_identifier`.
;
; `; needs: w1 w2` before a pattern names words it cannot match without (any
; of them, in any case); vouch compiles the pattern only for a text that
; holds one (src/syntax/queries.rs). Keep them true to the predicates.

; unsafe: sun.misc.Unsafe and the JDK's internal Unsafe.
; needs: misc
((scoped_identifier) @unsafe
  (#match? @unsafe "^(sun\\.misc|jdk\\.internal\\.misc)(\\.Unsafe)?$"))
; needs: unsafe
((type_identifier) @unsafe
  (#eq? @unsafe "Unsafe"))

; sql: string literals (and text blocks) that read like a raw SQL statement.
; needs: select insert update delete table index view database schema
((string_literal) @sql
  (#match? @sql "(?is)\\b(select\\s+(distinct\\s+)?(\\*|count\\s*\\(|[\\w.]+\\s*(,|\\bfrom\\b|\\bas\\b))|insert\\s+(or\\s+\\w+\\s+)?into\\s|update\\s+[\\w.\"`]+\\s+set\\s|delete\\s+from\\s|(create|drop|alter|truncate)\\s+(table|index|view|database|schema)\\b)"))

; exec: processes, shells and script engines.
; needs: getruntime
(method_invocation
  object: (method_invocation name: (identifier) @_runtime)
  name: (identifier) @exec
  (#eq? @_runtime "getRuntime")
  (#eq? @exec "exec"))
; needs: processbuilder scriptengine
((type_identifier) @exec
  (#any-of? @exec "ProcessBuilder" "ScriptEngine" "ScriptEngineManager"))
; needs: java.lang javax.script
((scoped_identifier) @exec
  (#match? @exec "^(java\\.lang\\.(ProcessBuilder|Runtime)|javax\\.script)$"))

; crypto: javax.crypto, java.security and their main classes.
; needs: crypto security bouncycastle
((scoped_identifier) @crypto
  (#match? @crypto "^(javax\\.crypto|java\\.security|org\\.bouncycastle)$"))
; needs: messagedigest securerandom cipher mac keygenerator keypairgenerator signature secretkeyspec keystore keyfactory pbekeyspec bcrypt
([(type_identifier) (identifier)] @crypto
  (#any-of? @crypto "MessageDigest" "SecureRandom" "Cipher" "Mac" "KeyGenerator" "KeyPairGenerator" "Signature" "SecretKeySpec" "KeyStore" "KeyFactory" "SecretKeyFactory" "PBEKeySpec" "BCrypt"))

; auth: methods named for, calls of, and annotations about authentication
; and authorization.
; needs: auth login logout logon signin signout password passwd passphrase token session permission role jwt oauth credential sso saml acl
([(method_declaration name: (identifier) @auth)
  (method_invocation name: (identifier) @auth)
  (marker_annotation name: (identifier) @auth)
  (annotation name: (identifier) @auth)]
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
; needs: authorize secured rolesallowed permitall denyall
([(marker_annotation name: (identifier) @auth)
  (annotation name: (identifier) @auth)]
  (#any-of? @auth "PreAuthorize" "PostAuthorize" "Secured" "RolesAllowed" "PermitAll" "DenyAll"))

; deserialize: Java serialization and object-reviving decoders.
; needs: objectinputstream xmldecoder xstream
((type_identifier) @deserialize
  (#any-of? @deserialize "ObjectInputStream" "XMLDecoder" "XStream"))
; needs: readobject readunshared fromxml
((method_invocation name: (identifier) @deserialize)
  (#any-of? @deserialize "readObject" "readUnshared" "fromXML"))

; network: java.net, the HTTP clients and sockets.
; needs: .net okhttp3 apache.http springframework
((scoped_identifier) @network
  (#match? @network "^(java\\.net|java\\.net\\.http|javax\\.net|okhttp3|org\\.apache\\.http|org\\.springframework\\.web\\.client)$"))
; needs: http urlconnection socket resttemplate webclient
((type_identifier) @network
  (#any-of? @network "HttpClient" "HttpRequest" "HttpURLConnection" "HttpsURLConnection" "URLConnection" "Socket" "ServerSocket" "DatagramSocket" "OkHttpClient" "RestTemplate" "WebClient"))
; needs: openconnection
((method_invocation name: (identifier) @network)
  (#eq? @network "openConnection"))

; fs-delete: removing files and directories.
; needs: files
(method_invocation
  object: (identifier) @_class
  name: (identifier) @fs-delete
  (#eq? @_class "Files")
  (#any-of? @fs-delete "delete" "deleteIfExists"))
; needs: fileutils
(method_invocation
  object: (identifier) @_class
  name: (identifier) @fs-delete
  (#eq? @_class "FileUtils")
  (#any-of? @fs-delete "deleteDirectory" "forceDelete" "deleteQuietly" "cleanDirectory"))
; needs: delete
(method_invocation
  name: (identifier) @fs-delete
  arguments: (argument_list) @_arguments
  (#eq? @fs-delete "delete")
  (#eq? @_arguments "()"))
