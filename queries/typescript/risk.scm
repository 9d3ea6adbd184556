; Risk tags of TypeScript: the patterns of queries/javascript/risk.scm, which
; vouch puts before this file's, hold for TypeScript too (they use
; only node kinds that both grammars have); these are TypeScript's own.

; auth: class fields holding a function, named for authentication.
(public_field_definition
  name: (property_identifier) @auth
  value: [(arrow_function) (function_expression)]
  (#match? @auth "(^|_)(?i:auth|authn|authz|authenticate[sd]?|authentication|authori[sz]e[sd]?|authori[sz]ation|login|logout|logon|signin|signout|password|passwd|passphrase|token|session|permission|role|jwt|oauth2?|credential|sso|saml|acl)s?($|_|[A-Z0-9])|[a-z0-9](Auth|Authn|Authz|Authenticate[sd]?|Authentication|Authori[sz]e[sd]?|Authori[sz]ation|Login|Logout|Logon|Signin|SignIn|Signout|SignOut|Password|Passwd|Passphrase|Token|Session|Permission|Role|Jwt|JWT|OAuth2?|Oauth2?|Credential|Sso|SSO|Saml|SAML|Acl|ACL)s?($|_|[A-Z0-9])"))
