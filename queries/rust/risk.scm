; Risk tags of Rust: every capture whose name does not start with `_` is a
; tag (unsafe, sql, exec, crypto, auth, deserialize, network, fs-delete),
; given to each unit whose text holds the captured node.

; unsafe: unsafe blocks, functions, impls and traits.
(unsafe_block) @unsafe
(function_modifiers "unsafe") @unsafe
(impl_item "unsafe") @unsafe
(trait_item "unsafe") @unsafe

; sql: string literals that read like a raw SQL statement.
(([(string_literal) (raw_string_literal)] @sql)
  (#match? @sql "(?is)\\b(select\\s+(distinct\\s+)?(\\*|count\\s*\\(|[\\w.]+\\s*(,|\\bfrom\\b|\\bas\\b))|insert\\s+(or\\s+\\w+\\s+)?into\\s|update\\s+[\\w.\"`]+\\s+set\\s|delete\\s+from\\s|(create|drop|alter|truncate)\\s+(table|index|view|database|schema)\\b)"))

; exec: processes and shells.
((scoped_identifier) @exec
  (#match? @exec "(^|::)(process::Command|Command::new)$"))
((scoped_identifier) @exec
  (#match? @exec "(^|::)(libc|nix::unistd)::(system|exec[a-z]*|fork|posix_spawnp?)$"))
(scoped_use_list
  path: (_) @exec
  list: (use_list (identifier) @_name)
  (#match? @exec "(^|::)process$")
  (#eq? @_name "Command"))

; crypto: hashing, ciphers, signatures, TLS and randomness crates and types.
(scoped_identifier
  path: (identifier) @crypto
  (#match? @crypto "^(sha1|sha2|sha3|md5|md4|ring|openssl|rustls|native_tls|aes|aes_gcm|aes_gcm_siv|chacha20|chacha20poly1305|rsa|ecdsa|p256|p384|k256|ed25519|ed25519_dalek|x25519_dalek|hmac|hkdf|pbkdf2|argon2|bcrypt|scrypt|blake2|blake3|getrandom|orion|sodiumoxide|subtle|Sha1|Sha224|Sha256|Sha384|Sha512|Md5|Hmac|Aes128Gcm|Aes256Gcm|ChaCha20Poly1305|OsRng|SigningKey|VerifyingKey|RsaPrivateKey|RsaPublicKey)$"))
(scoped_use_list
  path: (identifier) @crypto
  (#match? @crypto "^(sha1|sha2|sha3|md5|md4|ring|openssl|rustls|native_tls|aes|aes_gcm|aes_gcm_siv|chacha20|chacha20poly1305|rsa|ecdsa|p256|p384|k256|ed25519|ed25519_dalek|x25519_dalek|hmac|hkdf|pbkdf2|argon2|bcrypt|scrypt|blake2|blake3|getrandom|orion|sodiumoxide|subtle)$"))
((type_identifier) @crypto
  (#match? @crypto "^(Sha1|Sha224|Sha256|Sha384|Sha512|Md5|Hmac|Aes128Gcm|Aes256Gcm|ChaCha20Poly1305|OsRng|SigningKey|VerifyingKey|RsaPrivateKey|RsaPublicKey)$"))

; auth: functions named for, and calls of, authentication and authorization.
(function_item
  name: (identifier) @auth
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
(function_signature_item
  name: (identifier) @auth
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
(call_expression
  function: [(identifier) @auth
             (scoped_identifier name: (identifier) @auth)
             (field_expression field: (field_identifier) @auth)]
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
; ... and calls into a module, object or field named for them (`auth.check(u)`,
; `self.authz.allow(u)`, `auth_service.check(u)`).
(call_expression
  function: [(scoped_identifier path: (identifier) @auth)
             (field_expression value: (identifier) @auth)
             (field_expression value: (field_expression field: (field_identifier) @auth))]
  (#match? @auth "^(?i:auth|authn|authz|authentication|authori[sz]ation|authori[sz]er|authenticator|rbac|abac|acl|permissions?|oauth2?|jwt|sso|saml|casbin|access_?control)(_?(?i:service|client|manager|provider|checker|guard|policy|api))?$"))

; deserialize: decoding bytes from outside into values.
((scoped_identifier) @deserialize
  (#match? @deserialize "(^|::)(serde_json|serde_yaml|serde_cbor|serde_pickle|bincode|rmp_serde|ciborium|postcard|bson)(::serde|::de)?::(from_[a-z_]+|deserialize[a-z_]*|decode[a-z_]*)$"))

; network: HTTP clients and servers, sockets.
(scoped_identifier
  path: (identifier) @network
  (#match? @network "^(reqwest|hyper|hyper_util|ureq|surf|isahc|curl|attohttpc|tonic|axum|actix_web|warp|rocket|tungstenite|tokio_tungstenite|quinn|lettre)$"))
(scoped_use_list
  path: (identifier) @network
  (#match? @network "^(reqwest|hyper|hyper_util|ureq|surf|isahc|curl|attohttpc|tonic|axum|actix_web|warp|rocket|tungstenite|tokio_tungstenite|quinn|lettre)$"))
((scoped_identifier) @network
  (#match? @network "^(std|tokio|async_std|smol|mio)::net$"))
([(identifier) (type_identifier)] @network
  (#match? @network "^(TcpStream|TcpListener|UdpSocket|UnixStream|UnixListener|UnixDatagram)$"))

; fs-delete: removing files and directories.
(scoped_identifier
  name: (identifier) @fs-delete
  (#any-of? @fs-delete "remove_file" "remove_dir" "remove_dir_all"))
(call_expression
  function: (identifier) @fs-delete
  (#any-of? @fs-delete "remove_file" "remove_dir" "remove_dir_all"))
